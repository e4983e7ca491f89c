//! The audit page and its files, served by the binary without a token, under a policy that keeps
//! them to the gateway's own origin, revalidated by their content's hash.

use crate::common::*;

#[tokio::test]
async fn the_audit_page_loads_without_a_token_from_the_gateway_alone() {
    let app = TestApp::spawn().await;
    let response = app.client.get(format!("{}/", app.address)).send().await.expect("request");
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert!(headers["content-type"].to_str().unwrap_or("").starts_with("text/html"));
    let policy = headers["content-security-policy"].to_str().unwrap_or("");
    assert!(policy.contains("default-src 'self'") && policy.contains("connect-src 'self'"), "{policy}");
    let html = response.text().await.expect("body");
    assert!(html.contains("/assets/app.js") && html.contains("/assets/app.css"), "{html}");

    for (name, content_type) in [("app.js", "text/javascript"), ("app.css", "text/css")] {
        let url = format!("{}/assets/{name}", app.address);
        let response = app.client.get(&url).send().await.expect("request");
        assert_eq!(response.status(), 200, "{name}");
        assert_eq!(response.headers()["content-type"], content_type);
        assert_eq!(response.headers()["cache-control"], "no-cache");
        let tag = response.headers()["etag"].clone();
        assert!(!response.bytes().await.expect("body").is_empty());
        // A browser that has it is told so, without the file.
        let again = app.client.get(&url).header("if-none-match", tag).send().await.expect("request");
        assert_eq!(again.status(), 304, "{name}");
        assert!(again.bytes().await.expect("body").is_empty());
    }
    let (status, body) = app.get_as("/assets/nope.js", None).await;
    assert_eq!((status, &body["detail"]), (404, &serde_json::json!("Not found")), "{body}");
}
