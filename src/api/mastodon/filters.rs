//! Filters: `/api/v2/filters` with their keywords and statuses, and the read-only v1 view.
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use crate::api::auth::AuthUser;
use crate::api::body::ApiForm;
use crate::api::model::filter::{
    Filter, FilterKeyword, FilterStatus, V1Filter, filter, filter_status, keyword, v1_filters,
};
use crate::api::path_id;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::service::filters::{self as svc, FilterChange, KeywordChange};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/filters", get(index).post(create))
        .route("/api/v2/filters/{id}", get(show).put(update).delete(destroy))
        .route("/api/v2/filters/{id}/keywords", get(keywords).post(add_keyword))
        .route("/api/v2/filter_keywords/{id}", get(show_keyword).put(update_keyword).delete(destroy_keyword))
        .route("/api/v2/filters/{id}/statuses", get(statuses).post(add_status))
        .route("/api/v2/filter_statuses/{id}", get(show_status).delete(destroy_status))
        .route("/api/v1/filters", get(v1_index))
        .route("/api/v1/filters/{id}", get(v1_show))
}

fn invalid(m: impl std::fmt::Display) -> AppError {
    AppError::unprocessable(format!("Validation failed: {m}"))
}

fn opt_string(fields: &Map<String, Value>, key: &str) -> AppResult<Option<String>> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(format!("{key} must be a string"))),
    }
}

fn opt_bool(v: Option<&Value>, key: &str) -> AppResult<Option<bool>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => match s.as_str() {
            "true" | "1" | "on" => Ok(Some(true)),
            "false" | "0" | "off" | "" => Ok(Some(false)),
            _ => Err(invalid(format!("{key} must be a boolean"))),
        },
        Some(Value::Number(n)) => Ok(Some(n.as_i64() == Some(1))),
        Some(_) => Err(invalid(format!("{key} must be a boolean"))),
    }
}

fn opt_id(v: Option<&Value>, key: &str) -> AppResult<Option<i64>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => {
            crate::ids::parse_id(s).map(Some).ok_or_else(|| invalid(format!("{key} must be an id")))
        }
        Some(Value::Number(n)) => {
            n.as_i64().filter(|i| *i >= 0).map(Some).ok_or_else(|| invalid(format!("{key} must be an id")))
        }
        Some(_) => Err(invalid(format!("{key} must be an id"))),
    }
}

fn context(fields: &Map<String, Value>) -> AppResult<Option<Vec<String>>> {
    match fields.get("context") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
        Some(Value::Array(a)) if a.len() <= 10 => a
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| invalid("context must be a list of strings")))
            .collect::<AppResult<Vec<_>>>()
            .map(Some),
        Some(_) => Err(invalid("context must be a list of strings")),
    }
}

/// `expires_in`: absent keeps the current expiry; empty or null means never.
fn expires_in(fields: &Map<String, Value>) -> AppResult<Option<Option<i64>>> {
    match fields.get("expires_in") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if s.is_empty() => Ok(Some(None)),
        Some(Value::String(s)) => {
            s.parse::<i64>().map(|n| Some(Some(n))).map_err(|_| invalid("expires_in must be a number"))
        }
        Some(Value::Number(n)) => {
            n.as_i64().map(|n| Some(Some(n))).ok_or_else(|| invalid("expires_in must be a number"))
        }
        Some(_) => Err(invalid("expires_in must be a number")),
    }
}

/// `keywords_attributes`: a JSON list, or the map form encoding makes of `[0][keyword]`.
fn keyword_changes(fields: &Map<String, Value>) -> AppResult<Vec<KeywordChange>> {
    let items: Vec<&Value> = match fields.get("keywords_attributes") {
        None | Some(Value::Null) => return Ok(vec![]),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Object(o)) => o.values().collect(),
        Some(_) => return Err(invalid("keywords_attributes must be a list")),
    };
    if items.len() > 100 {
        return Err(invalid("too many keywords_attributes"));
    }
    items
        .into_iter()
        .map(|item| {
            let Value::Object(o) = item else { return Err(invalid("keywords_attributes must hold objects")) };
            Ok(KeywordChange {
                id: opt_id(o.get("id"), "id")?,
                keyword: opt_string(o, "keyword")?,
                whole_word: opt_bool(o.get("whole_word"), "whole_word")?,
                destroy: opt_bool(o.get("_destroy"), "_destroy")?.unwrap_or(false),
            })
        })
        .collect()
}

fn filter_change(fields: &Map<String, Value>) -> AppResult<FilterChange> {
    Ok(FilterChange {
        title: opt_string(fields, "title")?,
        context: context(fields)?,
        filter_action: opt_string(fields, "filter_action")?,
        expires_in: expires_in(fields)?,
        keywords: keyword_changes(fields)?,
    })
}

async fn index(State(state): State<AppState>, me: AuthUser) -> AppResult<Json<Vec<Filter>>> {
    me.require("read:filters")?;
    Ok(Json(svc::list(&state, me.id()).await?.iter().map(filter).collect()))
}

async fn show(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Filter>> {
    me.require("read:filters")?;
    Ok(Json(filter(&svc::show(&state, me.id(), path_id(&id)?).await?)))
}

async fn create(State(state): State<AppState>, me: AuthUser, form: ApiForm) -> AppResult<Json<Filter>> {
    me.require("write:filters")?;
    let change = filter_change(&form.fields)?;
    Ok(Json(filter(&svc::create(&state, me.id(), change).await?)))
}

async fn update(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    form: ApiForm,
) -> AppResult<Json<Filter>> {
    me.require("write:filters")?;
    let id = path_id(&id)?;
    let change = filter_change(&form.fields)?;
    Ok(Json(filter(&svc::update(&state, me.id(), id, change).await?)))
}

async fn destroy(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Value>> {
    me.require("write:filters")?;
    svc::delete(&state, me.id(), path_id(&id)?).await?;
    Ok(Json(json!({})))
}

async fn keywords(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<FilterKeyword>>> {
    me.require("read:filters")?;
    Ok(Json(svc::keywords(&state, me.id(), path_id(&id)?).await?.iter().map(keyword).collect()))
}

async fn add_keyword(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    form: ApiForm,
) -> AppResult<Json<FilterKeyword>> {
    me.require("write:filters")?;
    let id = path_id(&id)?;
    let word = opt_string(&form.fields, "keyword")?.unwrap_or_default();
    let whole_word = opt_bool(form.fields.get("whole_word"), "whole_word")?.unwrap_or(true);
    Ok(Json(keyword(&svc::add_keyword(&state, me.id(), id, &word, whole_word).await?)))
}

async fn show_keyword(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<FilterKeyword>> {
    me.require("read:filters")?;
    Ok(Json(keyword(&svc::own_keyword(&state.db.conn, me.id(), path_id(&id)?).await?)))
}

async fn update_keyword(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    form: ApiForm,
) -> AppResult<Json<FilterKeyword>> {
    me.require("write:filters")?;
    let id = path_id(&id)?;
    let word = opt_string(&form.fields, "keyword")?;
    let whole_word = opt_bool(form.fields.get("whole_word"), "whole_word")?;
    Ok(Json(keyword(&svc::update_keyword(&state, me.id(), id, word.as_deref(), whole_word).await?)))
}

async fn destroy_keyword(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    me.require("write:filters")?;
    svc::delete_keyword(&state, me.id(), path_id(&id)?).await?;
    Ok(Json(json!({})))
}

async fn statuses(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<FilterStatus>>> {
    me.require("read:filters")?;
    Ok(Json(svc::statuses(&state, me.id(), path_id(&id)?).await?.iter().map(filter_status).collect()))
}

async fn add_status(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    form: ApiForm,
) -> AppResult<Json<FilterStatus>> {
    me.require("write:filters")?;
    let id = path_id(&id)?;
    let status =
        opt_id(form.fields.get("status_id"), "status_id")?.ok_or_else(|| invalid("status_id can't be blank"))?;
    Ok(Json(filter_status(&svc::add_status(&state, me.id(), id, status).await?)))
}

async fn show_status(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<FilterStatus>> {
    me.require("read:filters")?;
    Ok(Json(filter_status(&svc::own_status(&state.db.conn, me.id(), path_id(&id)?).await?)))
}

async fn destroy_status(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<Value>> {
    me.require("write:filters")?;
    svc::delete_status(&state, me.id(), path_id(&id)?).await?;
    Ok(Json(json!({})))
}

async fn v1_index(State(state): State<AppState>, me: AuthUser) -> AppResult<Json<Vec<V1Filter>>> {
    me.require("read:filters")?;
    Ok(Json(v1_filters(&svc::list(&state, me.id()).await?)))
}

async fn v1_show(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<Json<V1Filter>> {
    me.require("read:filters")?;
    let id = path_id(&id)?;
    v1_filters(&svc::list(&state, me.id()).await?)
        .into_iter()
        .find(|f| f.id == id.to_string())
        .map(Json)
        .ok_or_else(AppError::not_found)
}
