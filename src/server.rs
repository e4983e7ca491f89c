//! Serving a router over TCP with the connection limits axum's `serve` does not offer: a
//! header-read timeout (hyper's), an idle timeout on the socket itself ([`IdleTimeout`]), and a
//! graceful shutdown on SIGTERM or SIGINT that lets in-flight requests finish and tells live feeds
//! and WebSockets to end ([`Drain`]), up to a bound; connections that upgrade to WebSocket;
//! and JSON bodies for the answers hyper writes by itself to requests it cannot parse.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::{TaskTracker, task_tracker::TaskTrackerToken};
use tower::ServiceExt;

use crate::edge;
use crate::state::Limits;

/// How long to wait after a failed `accept` (typically: out of file descriptors) before trying
/// again, so the loop does not spin while connections close.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// What a long-lived response (an event stream, a WebSocket) watches to end itself when the server
/// drains, and how the server waits for it. Cheap to clone: clones share it.
#[derive(Clone, Default)]
pub struct Drain {
    draining: CancellationToken,
    sockets: TaskTracker,
}

impl Drain {
    /// Resolves once the server drains.
    pub async fn started(&self) {
        self.draining.cancelled().await;
    }

    /// Whether the server drains.
    pub fn is_draining(&self) -> bool {
        self.draining.is_cancelled()
    }

    /// Keeps the drain waiting (for at most its timeout) until the token is dropped: each
    /// connection holds one, and so does an upgraded WebSocket, which outlives its connection.
    pub fn hold(&self) -> TaskTrackerToken {
        self.sockets.token()
    }

    /// Signals every holder and waits until all have let go.
    async fn finish(&self) {
        self.draining.cancel();
        self.sockets.close();
        self.sockets.wait().await;
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting, tells long-lived
/// responses to end (`drain`), lets in-flight requests finish for at most `limits.drain_timeout`,
/// and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &Limits,
    drain: &Drain,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    tokio::pin!(shutdown);
    loop {
        let (stream, client) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let stream = IdleTimeout::new(stream, limits.idle_timeout);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(client));
            let response = router.clone().oneshot(request);
            async move { Ok::<_, Infallible>(response.await.unwrap_or_else(|never| match never {})) }
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .serve_connection(TokioIo::new(JsonParseErrors::new(Box::pin(stream))), service)
            .with_upgrades();
        let (drain, held) = (drain.clone(), drain.hold());
        tokio::spawn(async move {
            tokio::pin!(connection);
            let closed = tokio::select! {
                closed = connection.as_mut() => closed,
                () = drain.started() => {
                    // Finish the response in flight (an event stream ends itself), then close.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = closed {
                tracing::debug!(%error, %client, "connection closed");
            }
            drop(held);
        });
    }
    drop(listener);
    tracing::info!("shutting down: finishing in-flight requests");
    tokio::select! {
        () = drain.finish() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(limits.drain_timeout) => {
            tracing::warn!(timeout_s = limits.drain_timeout.as_secs(), "requests still in flight at the drain timeout");
        }
    }
    Ok(())
}

/// Resolves on the first SIGTERM (Kubernetes, systemd, Docker) or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received"),
        () = terminate => tracing::info!("SIGTERM received"),
    }
}

/// A connection that fails once no byte has moved either way for `timeout`: a client that stops
/// reading its response, or stalls half-way through a body. Either direction's progress counts,
/// so a long response the client only reads (an event stream) or a WebSocket that only receives
/// stays open, while hyper's pending read of the next request does not keep a dead peer's
/// connection alive.
struct IdleTimeout<S> {
    inner: S,
    timeout: Duration,
    last_progress: tokio::time::Instant,
    timer: Pin<Box<tokio::time::Sleep>>,
}

impl<S> IdleTimeout<S> {
    fn new(inner: S, timeout: Duration) -> Self {
        let now = tokio::time::Instant::now();
        IdleTimeout { inner, timeout, last_progress: now, timer: Box::pin(tokio::time::sleep_until(now + timeout)) }
    }

    fn progressed(&mut self) {
        self.last_progress = tokio::time::Instant::now();
    }

    /// After the inner stream said pending: an error once the connection has been idle for the
    /// timeout, else pending with the timer set to wake this task when it would be.
    fn poll_idle<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let deadline = self.last_progress + self.timeout;
        if self.timer.deadline() != deadline {
            self.timer.as_mut().reset(deadline);
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "connection idle"))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleTimeout<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    self.progressed();
                }
                Poll::Ready(result)
            }
            Poll::Pending => self.poll_idle(cx),
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(result) => {
                if result.as_ref().is_ok_and(|written| *written > 0) {
                    self.progressed();
                }
                Poll::Ready(result)
            }
            Poll::Pending => self.poll_idle(cx),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Pending => self.poll_idle(cx),
            ready => ready,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A connection's stream that gives hyper's own error answers a JSON body. hyper answers a
/// request it cannot parse (400; a URI over 64 KiB: 414; a head past its buffer: 431) before any
/// service sees it, with an empty body and no content type. Such an answer is written at the start
/// of a response (and is the connection's last), so its head is recognised there and replaced by
/// the same status with a JSON body, like every other error the gateway produces.
struct JsonParseErrors<S> {
    inner: S,
    /// The replacement being written, and how much of it is written.
    replacement: Option<(Vec<u8>, usize)>,
}

impl<S: AsyncWrite + Unpin> JsonParseErrors<S> {
    fn new(inner: S) -> Self {
        JsonParseErrors { inner, replacement: None }
    }

    /// Writes what is left of the replacement.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.replacement {
            if *written == bytes.len() {
                self.replacement = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }
}

/// The answer to write instead of `head`, when `head` is the whole of one of hyper's bodiless
/// parse-error answers: the same status line and headers, with a JSON body.
fn replace_parse_error(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let rest = text.strip_prefix("HTTP/1.1 ")?;
    let status = axum::http::StatusCode::from_bytes(rest.get(..3)?.as_bytes()).ok()?;
    let parse_error = [400, 414, 431].contains(&status.as_u16());
    let (status_line, headers) = text.strip_suffix("\r\n\r\n")?.split_once("\r\n").unwrap_or((text, ""));
    let headers: Vec<&str> = headers.split("\r\n").filter(|line| !line.is_empty()).collect();
    let bodiless = headers.iter().any(|line| line.eq_ignore_ascii_case("content-length: 0"));
    if !(parse_error && bodiless) {
        return None;
    }
    let body = edge::unparsed_request_body(status);
    let mut answer = format!("{status_line}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n", body.len());
    for line in headers.into_iter().filter(|line| !line.to_ascii_lowercase().starts_with("content-length:")) {
        answer.push_str(line);
        answer.push_str("\r\n");
    }
    answer.push_str("\r\n");
    answer.push_str(&body);
    Some(answer.into_bytes())
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonParseErrors<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonParseErrors<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        ready!(self.poll_replacement(cx))?;
        if let Some(replacement) = replace_parse_error(buf) {
            self.replacement = Some((replacement, 0));
            // The head counts as written; the replacement goes out now or with the next flush.
            let _ = self.poll_replacement(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_replacement(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_replacement(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    /// No: hyper then writes each answer as one buffer, whose head this can recognise whole.
    fn is_write_vectored(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypers_bodiless_parse_errors_get_a_json_body_and_nothing_else_changes() {
        let head = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: Thu, 03 Dec 2026 09:00:00 GMT\r\n\r\n";
        let answer = String::from_utf8(replace_parse_error(head).expect("replaced")).expect("text");
        let body = r#"{"detail":"URI Too Long"}"#;
        assert_eq!(
            answer,
            format!(
                "HTTP/1.1 414 URI Too Long\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 date: Thu, 03 Dec 2026 09:00:00 GMT\r\n\r\n{body}",
                body.len()
            )
        );
        // The gateway's own answers (with a body), other statuses, and partial heads stay as they are.
        assert!(replace_parse_error(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n\r\n").is_none());
        assert!(replace_parse_error(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(
            replace_parse_error(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n").is_none()
        );
        assert!(replace_parse_error(b"{\"detail\": \"HTTP/1.1 400\"}").is_none());
    }
}
