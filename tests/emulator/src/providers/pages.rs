//! The pages a user sees: the login form (interactive authorize, and the device flow's
//! second step), its target `POST /login`, and the device verification page `/device`.
//!
//! Plain HTML forms, UTF-8, no scripts, no cookies: everything the next step needs
//! travels in hidden fields, so a headless browser (or a test posting the form by hand)
//! can drive them.

use super::{authorize_at, form_body, method_not_allowed, Login, Params};
use crate::crypto::unix_now;
use crate::fixtures::*;
use crate::http::{Request, Response};
use crate::state::Shared;

/// What the login form signs the user in for.
pub(crate) enum Target<'a> {
    /// An authorization request: the authorize endpoint's path and the original query
    /// string, replayed once the user has signed in.
    Authorize { endpoint: &'a str, query: &'a str },
    /// A device authorization, by its user code.
    Device { user_code: &'a str },
}

/// The login form for `target`, blank.
pub(crate) fn login_page(target: &Target<'_>) -> Response {
    login_form(target, None, "")
}

/// The login form, with an error message and the login typed so far.
fn login_form(target: &Target<'_>, error: Option<&str>, username: &str) -> Response {
    let (hidden, intro) = match target {
        Target::Authorize { endpoint, query } => (
            format!(
                "<input type=\"hidden\" name=\"endpoint\" value=\"{}\">\n\
                 <input type=\"hidden\" name=\"request\" value=\"{}\">\n",
                escape(endpoint),
                escape(query)
            ),
            "An application asks to access your account.".to_string(),
        ),
        Target::Device { user_code } => (
            format!(
                "<input type=\"hidden\" name=\"user_code\" value=\"{}\">\n",
                escape(user_code)
            ),
            format!(
                "Sign in to approve the device showing the code <strong id=\"device_code\">{}</strong>.",
                escape(user_code)
            ),
        ),
    };
    let error = error
        .map(|e| format!("<p id=\"error\" role=\"alert\">{}</p>\n", escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Sign in</h1>\n\
         <p>{intro}</p>\n\
         {error}\
         <form method=\"post\" action=\"{LOGIN_PATH}\">\n\
         {hidden}\
         <p><label for=\"username\">Login</label>\n\
         <input name=\"username\" id=\"username\" value=\"{}\" autocomplete=\"username\" autofocus></p>\n\
         <p><label for=\"password\">Password</label>\n\
         <input type=\"password\" name=\"password\" id=\"password\" autocomplete=\"current-password\"></p>\n\
         <p><button type=\"submit\" id=\"approve\" name=\"action\" value=\"approve\">Sign in</button>\n\
         <button type=\"submit\" id=\"deny\" name=\"action\" value=\"deny\">Deny</button></p>\n\
         </form>\n",
        escape(username)
    );
    page("Sign in", &body)
}

/// The first step of the device page: asks for the user code.
fn code_entry_page(error: Option<&str>, typed: &str) -> Response {
    let error = error
        .map(|e| format!("<p id=\"error\" role=\"alert\">{}</p>\n", escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Connect a device</h1>\n\
         {error}\
         <form method=\"get\" action=\"{DEVICE_VERIFICATION_PATH}\">\n\
         <p><label for=\"user_code\">Enter the code shown on your device</label>\n\
         <input name=\"user_code\" id=\"user_code\" value=\"{}\" autocomplete=\"off\" autofocus></p>\n\
         <p><button type=\"submit\" id=\"continue\">Continue</button></p>\n\
         </form>\n",
        escape(typed)
    );
    page("Connect a device", &body)
}

/// A page that only says how things ended.
fn result_page(title: &str, message: &str) -> Response {
    page(
        title,
        &format!(
            "<h1>{}</h1>\n<p id=\"result\">{}</p>\n",
            escape(title),
            escape(message)
        ),
    )
}

/// A complete `200 text/html` page.
fn page(title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width\">\n\
         <title>{} · authgate emulator</title>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    );
    Response::empty(200)
        .header("Content-Type", "text/html; charset=utf-8")
        .header("Cache-Control", "no-store")
        .body(html.into_bytes())
}

/// Escapes text for HTML element content and double- or single-quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `POST /login`: checks the test user, then finishes what the form was for.
pub(crate) fn login(shared: &Shared, request: &Request) -> Response {
    if request.method != "POST" {
        return method_not_allowed("POST");
    }
    let params = match form_body(request) {
        Ok(params) => params,
        Err(error) => return error.response(),
    };
    let target = match target(&params) {
        Some(target) => target,
        None => return Response::text(400, "the login form is incomplete"),
    };
    // Denying needs no sign-in: the user just cancels.
    let approve = params.get("action") != Some("deny");
    if approve
        && (params.get("username") != Some(TEST_USER_LOGIN)
            || params.get("password") != Some(TEST_USER_PASSWORD))
    {
        let typed = params.get("username").unwrap_or_default();
        return login_form(&target, Some("Wrong login or password."), typed);
    }
    match target {
        Target::Authorize { endpoint, query } => {
            let login = if approve {
                Login::Approved
            } else {
                Login::Denied
            };
            // The request is validated again: the hidden fields came back from the
            // browser and may have been tampered with.
            authorize_at(shared, endpoint, query, login)
                .unwrap_or_else(|| Response::text(400, "unknown authorize endpoint"))
        }
        Target::Device { user_code } => {
            let decided = shared.lock().decide_device(user_code, approve, unix_now());
            match decided {
                Ok(()) if approve => result_page(
                    "Device approved",
                    "Device approved, you may close this window.",
                ),
                Ok(()) => result_page(
                    "Request denied",
                    "Request denied, you may close this window.",
                ),
                Err(error) => code_entry_page(Some(error.message()), user_code),
            }
        }
    }
}

/// What a posted login form is for.
fn target(params: &Params) -> Option<Target<'_>> {
    if let Some(user_code) = params.get("user_code") {
        return Some(Target::Device { user_code });
    }
    Some(Target::Authorize {
        endpoint: params.get("endpoint")?,
        query: params.get("request")?,
    })
}

/// `GET /device`: the code entry form, or with `?user_code=…` the login form.
pub(crate) fn device(shared: &Shared, request: &Request) -> Response {
    if request.method != "GET" {
        return method_not_allowed("GET");
    }
    let params = Params::parse(request.query.as_bytes());
    let Some(typed) = params.get("user_code") else {
        return code_entry_page(None, "");
    };
    let pending = shared.lock().pending_user_code(typed);
    match pending {
        Ok(user_code) => login_page(&Target::Device {
            user_code: &user_code,
        }),
        Err(error) => code_entry_page(Some(error.message()), typed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape("a=1&b=<x>\"'"), "a=1&amp;b=&lt;x&gt;&quot;&#39;");
        assert_eq!(escape("Тест"), "Тест");
    }
}
