//! A minimal HTTP/1.1 client: one keep-alive connection, requests sent as given.
//!
//! The generator shares the machine's cores with the server it measures, so it avoids a
//! full-featured client (pools, redirects, cookie jars, TLS) and talks hyper's connection
//! API directly. Requests are built by the caller from headers it prepared once.

use bytes::Bytes;
use http::header::{HOST, HeaderValue};
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use tokio::net::TcpStream;

/// A server's answer, read in full so the connection can carry the next request.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// Response body.
    pub body: Bytes,
}

impl Answer {
    /// The `Location` header, or an empty string.
    pub fn location(&self) -> &str {
        self.header("location")
    }

    /// The first value of header `name` as text, or an empty string.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    /// The body as text, shortened for error messages.
    pub fn body_excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        text.chars().take(200).collect()
    }
}

/// One keep-alive connection to the server; reconnects after a failure.
pub struct Connection {
    address: SocketAddr,
    host: HeaderValue,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Connection {
    /// A connection to `address`, opened on first use.
    pub fn new(address: SocketAddr) -> Connection {
        let host = HeaderValue::from_str(&address.to_string())
            .unwrap_or_else(|_| HeaderValue::from_static("127.0.0.1"));
        Connection {
            address,
            host,
            sender: None,
        }
    }

    async fn open(&self) -> Result<SendRequest<Full<Bytes>>, String> {
        let stream = TcpStream::connect(self.address)
            .await
            .map_err(|error| format!("connect to {}: {error}", self.address))?;
        // Requests are small and answered one at a time; Nagle would only add delay.
        stream
            .set_nodelay(true)
            .map_err(|error| format!("set TCP_NODELAY: {error}"))?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|error| format!("HTTP handshake: {error}"))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }

    /// Sends `method path` with `headers` and `body` and reads the whole answer. A
    /// failed request drops the connection, so the next one starts on a fresh socket.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Answer, String> {
        let result = self.try_send(method, path, headers, body).await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    async fn try_send(
        &mut self,
        method: Method,
        path: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Answer, String> {
        let sender = match &mut self.sender {
            Some(sender) if !sender.is_closed() => sender,
            _ => self.sender.insert(self.open().await?),
        };
        sender
            .ready()
            .await
            .map_err(|error| format!("connection not ready: {error}"))?;

        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .body(Full::new(body))
            .map_err(|error| format!("bad request {path}: {error}"))?;
        let request_headers = request.headers_mut();
        request_headers.reserve(headers.len() + 1);
        request_headers.insert(HOST, self.host.clone());
        for (name, value) in headers {
            request_headers.append(name, value.clone());
        }

        let response = sender
            .send_request(request)
            .await
            .map_err(|error| format!("{path}: {error}"))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|error| format!("{path}: reading the body: {error}"))?
            .to_bytes();
        Ok(Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
    }
}

/// A header map from `(name, value)` pairs; fails on a value that is not header text.
pub fn headers(pairs: &[(&'static str, &str)]) -> anyhow::Result<HeaderMap> {
    let mut map = HeaderMap::with_capacity(pairs.len());
    for (name, value) in pairs {
        map.append(*name, HeaderValue::from_str(value)?);
    }
    Ok(map)
}

/// `application/x-www-form-urlencoded` text of `fields`.
pub fn form(fields: &[(&str, &str)]) -> Bytes {
    let mut encoded = form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        encoded.append_pair(name, value);
    }
    Bytes::from(encoded.finish())
}
