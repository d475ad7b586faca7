//! Request bodies as Mastodon accepts them: JSON, form-encoded (with `key[]` arrays) or
//! multipart. Every rejection is a JSON error with a 4xx status.
use axum::RequestExt;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{AppError, AppResult};
use crate::service::media::Upload;

/// A parsed body of type `T`, whatever its encoding.
pub struct ApiBody<T>(pub T);

/// A body that may carry files (multipart), or plain fields.
pub struct ApiForm {
    pub fields: Map<String, Value>,
    pub files: Vec<(String, Upload)>,
}

/// Adds `key=value` to a map, turning `key[]` into arrays and `key[a][b]` into nested values:
/// `source[privacy]=x`, `fields_attributes[0][name]=x`, `poll[options][]=x`.
pub fn insert_pair(map: &mut Map<String, Value>, key: &str, value: Value) {
    let Some((base, rest)) = key.split_once('[') else {
        map.insert(key.to_owned(), value);
        return;
    };
    let parts: Vec<&str> = rest.trim_end_matches(']').split("][").collect();
    // Deeper keys than any endpoint reads are kept flat rather than nested without bound.
    if parts.len() > 3 || parts[..parts.len() - 1].contains(&"") {
        map.insert(key.to_owned(), value);
        return;
    }
    insert_at(map, base, &parts, value);
}

fn insert_at(map: &mut Map<String, Value>, key: &str, parts: &[&str], value: Value) {
    match parts.split_first() {
        None => {
            map.insert(key.to_owned(), value);
        }
        Some((&"", _)) => match map.entry(key.to_owned()).or_insert_with(|| Value::Array(vec![])) {
            Value::Array(a) => a.push(value),
            other => *other = Value::Array(vec![value]),
        },
        Some((first, rest)) => {
            let entry = map.entry(key.to_owned()).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(o) = entry {
                insert_at(o, first, rest, value);
            }
        }
    }
}

fn content_type(req: &Request) -> String {
    req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase()
}

/// Most fields and files one request may carry; no endpoint needs more.
const MAX_FIELDS: usize = 500;
const MAX_FILES: usize = 8;

fn too_many() -> AppError {
    AppError::bad_request(format!("Too many fields: send at most {MAX_FIELDS} fields and {MAX_FILES} files"))
}

/// Reads any supported body into fields and files.
pub async fn read_form<S: Send + Sync>(req: Request, state: &S) -> AppResult<ApiForm> {
    let ct = content_type(&req);
    let mut fields = Map::new();
    let mut files = Vec::new();
    if ct.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, state)
            .await
            .map_err(|e| AppError::bad_request(format!("Invalid multipart body: {e}")))?;
        let mut count = 0usize;
        while let Some(field) = mp.next_field().await.map_err(|e| multipart_error(&e))? {
            count += 1;
            if count > MAX_FIELDS || files.len() >= MAX_FILES && field.file_name().is_some() {
                return Err(too_many());
            }
            let name = field.name().unwrap_or_default().to_owned();
            if let Some(file_name) = field.file_name().map(str::to_owned) {
                let bytes = field.bytes().await.map_err(|e| multipart_error(&e))?;
                if !bytes.is_empty() || !file_name.is_empty() {
                    files.push((name, Upload { bytes: bytes.to_vec(), file_name }));
                }
            } else {
                let text = field.text().await.map_err(|e| multipart_error(&e))?;
                insert_pair(&mut fields, &name, Value::String(text));
            }
        }
    } else {
        // `with_limited_body` applies `DefaultBodyLimit` (limits.max_body_bytes); a plain
        // `to_bytes(.., usize::MAX)` would read a body of any size into memory.
        let bytes = axum::body::to_bytes(req.with_limited_body().into_body(), usize::MAX)
            .await
            .map_err(|e| body_error(&e.to_string()))?;
        if bytes.is_empty() {
        } else if ct.starts_with("application/json") || (ct.is_empty() && bytes.first() == Some(&b'{')) {
            let v: Value =
                serde_json::from_slice(&bytes).map_err(|e| AppError::bad_request(format!("Invalid JSON body: {e}")))?;
            match v {
                Value::Object(m) if m.len() > MAX_FIELDS => return Err(too_many()),
                Value::Object(m) => fields = m,
                _ => return Err(AppError::bad_request("The JSON body must be an object")),
            }
        } else if ct.starts_with("application/x-www-form-urlencoded") || ct.is_empty() {
            for (n, (k, v)) in url::form_urlencoded::parse(&bytes).enumerate() {
                if n >= MAX_FIELDS {
                    return Err(too_many());
                }
                insert_pair(&mut fields, &k, Value::String(v.into_owned()));
            }
        } else {
            return Err(AppError::new(
                crate::error::ErrorKind::Unprocessable,
                "Unsupported content type: send JSON, form-encoded or multipart data",
            ));
        }
    }
    Ok(ApiForm { fields, files })
}

/// Multer's messages never say "too large"; its status does (413 for the body limit).
fn multipart_error(e: &axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::too_large("The request body is too large")
    } else {
        AppError::bad_request(format!("Could not read the request body: {}", e.body_text()))
    }
}

fn body_error(msg: &str) -> AppError {
    if msg.contains("length limit") || msg.contains("too large") {
        AppError::too_large("The request body is too large")
    } else {
        AppError::bad_request(format!("Could not read the request body: {msg}"))
    }
}

/// Deserialises fields leniently: form values are strings, so "true", "1" and "42" are
/// accepted where a boolean or number is expected.
pub fn from_fields<T: DeserializeOwned>(fields: Map<String, Value>) -> AppResult<T> {
    serde_json::from_value(Value::Object(fields))
        .map_err(|e| AppError::unprocessable(format!("Validation failed: {e}")))
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiBody<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> AppResult<Self> {
        let form = read_form(req, state).await?;
        Ok(ApiBody(from_fields(form.fields)?))
    }
}

impl<S: Send + Sync> FromRequest<S> for ApiForm {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> AppResult<Self> {
        read_form(req, state).await
    }
}

/// Serde helpers for lenient fields.
pub mod lenient {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        let v = Option::<Value>::deserialize(d)?;
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(Value::String(s)) => match s.as_str() {
                "true" | "1" | "on" => Ok(Some(true)),
                "false" | "0" | "off" | "" => Ok(Some(false)),
                _ => Err(serde::de::Error::custom(format!("expected a boolean, got \"{s}\""))),
            },
            Some(Value::Number(n)) => Ok(Some(n.as_i64() == Some(1))),
            Some(_) => Err(serde::de::Error::custom("expected a boolean")),
        }
    }

    pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        Ok(opt_bool(d)?.unwrap_or(false))
    }

    fn id_of(v: Value) -> Result<i64, String> {
        match v {
            Value::String(s) => crate::ids::parse_id(&s).ok_or_else(|| format!("\"{s}\" is not an id")),
            Value::Number(n) => n.as_i64().filter(|i| *i >= 0).ok_or_else(|| "not an id".to_owned()),
            _ => Err("expected an id".to_owned()),
        }
    }

    pub fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(v) => id_of(v).map(Some).map_err(serde::de::Error::custom),
        }
    }

    pub fn ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(vec![]),
            Some(Value::Array(a)) => {
                if a.len() > 100 {
                    return Err(serde::de::Error::custom("too many ids"));
                }
                a.into_iter().map(|v| id_of(v).map_err(serde::de::Error::custom)).collect()
            }
            Some(v) => Ok(vec![id_of(v).map_err(serde::de::Error::custom)?]),
        }
    }

    /// A list of strings, also from one comma-separated string.
    pub fn opt_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) => a
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    _ => Err(serde::de::Error::custom("expected a list of strings")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(Value::String(s)) => {
                Ok(Some(s.split(',').map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect()))
            }
            Some(_) => Err(serde::de::Error::custom("expected a list of strings")),
        }
    }
}

/// The query string as a field map (`id[]=1&id[]=2` becomes a list).
pub fn query_map(raw: Option<&str>) -> Map<String, Value> {
    let mut map = Map::new();
    if let Some(q) = raw {
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            insert_pair(&mut map, &k, Value::String(v.into_owned()));
        }
    }
    map
}

/// The query string as pairs, for rebuilding paging links.
pub fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(pairs: &[(&str, &str)]) -> Value {
        let mut m = Map::new();
        for (k, v) in pairs {
            insert_pair(&mut m, k, Value::String((*v).to_owned()));
        }
        Value::Object(m)
    }

    #[test]
    fn form_keys_nest_as_rails_reads_them() {
        assert_eq!(parse(&[("choices[]", "0"), ("choices[]", "2")]), json!({"choices": ["0", "2"]}));
        assert_eq!(parse(&[("source[privacy]", "public")]), json!({"source": {"privacy": "public"}}));
        assert_eq!(
            parse(&[("fields_attributes[0][name]", "a"), ("fields_attributes[0][value]", "b")]),
            json!({"fields_attributes": {"0": {"name": "a", "value": "b"}}})
        );
        assert_eq!(
            parse(&[("poll[options][]", "x"), ("poll[options][]", "y"), ("poll[expires_in]", "300")]),
            json!({"poll": {"options": ["x", "y"], "expires_in": "300"}})
        );
        // Deeper than any endpoint reads: kept flat.
        assert_eq!(parse(&[("a[b][c][d][e]", "1")]), json!({"a[b][c][d][e]": "1"}));
        assert_eq!(parse(&[("a[][b]", "1")]), json!({"a[][b]": "1"}));
    }
}
