//! A browser-like client for the web UI tests: keeps cookies, does not follow redirects, and
//! submits forms with the CSRF token of the page they came from.
#![allow(dead_code)]

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

/// One browser session against a node.
pub struct Browser {
    http: reqwest::Client,
    base: String,
}

/// A page as the browser received it.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub html: String,
}

impl Page {
    /// The CSRF token the page put in its forms.
    pub fn csrf(&self) -> String {
        let marker = "name=\"_csrf\" value=\"";
        let start =
            self.html.find(marker).unwrap_or_else(|| panic!("no form on the page:\n{}", self.html)) + marker.len();
        let end = self.html[start..].find('"').expect("end of token") + start;
        self.html[start..end].to_owned()
    }

    pub fn has(&self, text: &str) -> bool {
        self.html.contains(text)
    }
}

impl Browser {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self { http, base: base.to_owned() }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.base) }
    }

    async fn page(res: reqwest::Response) -> Page {
        let status = res.status();
        let location = res.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let html = res.text().await.unwrap_or_default();
        assert!(status.as_u16() < 500, "server error {status}: {html}");
        Page { status, location, html }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::page(self.http.get(self.url(path)).send().await.expect("GET")).await
    }

    /// Follows one redirect, as a browser would after a form.
    pub async fn follow(&self, page: &Page) -> Page {
        let to =
            page.location.clone().unwrap_or_else(|| panic!("expected a redirect, got {}:\n{}", page.status, page.html));
        self.get(&to).await
    }

    /// Posts a form with the given CSRF token.
    pub async fn submit(&self, path: &str, csrf: &str, fields: &[(&str, &str)]) -> Page {
        let mut pairs: Vec<(&str, &str)> = vec![("_csrf", csrf)];
        pairs.extend_from_slice(fields);
        let body = serde_urlencoded::to_string(&pairs).expect("form body");
        let req = self.http.post(self.url(path)).header("content-type", "application/x-www-form-urlencoded").body(body);
        Self::page(req.send().await.expect("POST")).await
    }

    /// Posts a multipart form (with files) with the given CSRF token.
    pub async fn submit_multipart(
        &self,
        path: &str,
        csrf: &str,
        fields: &[(&str, &str)],
        files: Vec<(&str, &str, Vec<u8>)>,
    ) -> Page {
        let mut form = Form::new().text("_csrf", csrf.to_owned());
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        for (field, name, bytes) in files {
            form = form.part(field.to_owned(), Part::bytes(bytes).file_name(name.to_owned()));
        }
        Self::page(self.http.post(self.url(path)).multipart(form).send().await.expect("POST")).await
    }

    /// Signs in through the login form.
    pub async fn sign_in(&self, login: &str, password: &str) {
        let form = self.get("/login").await;
        let res = self.submit("/login", &form.csrf(), &[("login", login), ("password", password)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "sign-in of {login} failed:\n{}", res.html);
    }
}

/// The newest mail sent to `to`, from the node's mail directory.
pub fn last_mail_to(data_dir: &std::path::Path, to: &str) -> Option<String> {
    let mut mails: Vec<_> =
        std::fs::read_dir(data_dir.join("mail")).ok()?.filter_map(Result::ok).map(|e| e.path()).collect();
    mails.sort();
    mails.iter().rev().filter_map(|p| std::fs::read_to_string(p).ok()).find(|m| m.contains(&format!("To: {to}")))
}

/// The first link in a mail that contains `path_part`, made relative.
pub fn link_in(mail: &str, path_part: &str) -> String {
    let unfolded = mail.replace("=\r\n", "").replace("=\n", "");
    let start = unfolded.find("http://").expect("a link in the mail");
    let rest = &unfolded[start..];
    let link: String = rest
        .split_whitespace()
        .find(|w| w.contains(path_part))
        .unwrap_or_else(|| panic!("no {path_part} link in:\n{mail}"))
        .to_owned();
    let after_scheme = &link["http://".len()..];
    after_scheme[after_scheme.find('/').expect("path")..].replace("=3D", "=")
}
