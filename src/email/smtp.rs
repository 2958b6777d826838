//! [`Smtp`]: lettre's SMTP client over a small pool of connections of our own, with Nagle's algorithm off.
//!
//! Why not lettre's own pool: lettre (0.11.23) leaves Nagle's algorithm on, and it writes a message's body and
//! the closing `\r\n.\r\n` as two writes. The five bytes then wait for the server's delayed ACK of the body,
//! 40 ms on Linux, for every message: eight connections could not carry more than ~200 emails/s, and carried 94
//! (BENCHMARKS.md). So the TCP connection is opened here, with `TCP_NODELAY`, and handed to lettre's
//! [`AsyncSmtpConnection`], which does all of SMTP (EHLO, STARTTLS, AUTH, MAIL/RCPT/DATA, dot-stuffing).
//! Implicit TLS (`smtps://`) still lets lettre open the socket (its TLS setup takes no socket of ours), so Nagle
//! stays on there.
//!
//! The pool: a connection that delivered is parked for the next message. Before reuse it is tested with `NOOP`
//! (as lettre's pool does), so a connection the server closed meanwhile is dropped and a fresh one opened, and
//! the message goes once, on the fresh one; a connection idle longer than [`IDLE_LIMIT`] is closed instead. A
//! failed SMTP exchange closes its connection (lettre marks it broken), so a half-known state is never reused.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lettre::Message;
use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;

use super::transport::{Security, SendError, Sending, SmtpUrl, Transport};

/// A parked connection idle longer than this is closed rather than tested (servers drop idle clients after a
/// few minutes; RFC 5321 asks them to wait at least 5).
pub const IDLE_LIMIT: Duration = Duration::from_secs(60);

/// lettre's SMTP client on pooled connections with `TCP_NODELAY`.
pub struct Smtp {
    host: String,
    port: u16,
    security: Security,
    tls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
    /// At most this many connections are parked; more may be open at once while sending.
    keep: usize,
    idle: Mutex<Vec<Parked>>,
    opened: AtomicU64,
}

struct Parked {
    connection: AsyncSmtpConnection,
    since: Instant,
}

impl Smtp {
    /// A client for `url`; connecting may take `timeout` (the worker bounds each whole send too); `keep`
    /// connections stay open between messages (the worker's sends in flight).
    pub fn new(url: &SmtpUrl, timeout: Duration, keep: usize) -> Result<Smtp, String> {
        let tls = match url.security {
            Security::Plain => None,
            Security::StartTls | Security::Implicit => Some(
                TlsParameters::new(url.host.clone())
                    .map_err(|e| format!("--smtp: TLS setup failed: {e}"))?,
            ),
        };
        Ok(Smtp {
            host: url.host.clone(),
            port: url.port,
            security: url.security,
            tls,
            credentials: url.user.as_ref().map(|user| {
                Credentials::new(user.clone(), url.password.clone().unwrap_or_default())
            }),
            hello: ClientId::default(),
            timeout,
            keep: keep.max(1),
            idle: Mutex::new(Vec::new()),
            opened: AtomicU64::new(0),
        })
    }

    /// How many connections were opened so far (a pooled one is counted once, however many messages it took).
    pub fn connections_opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let mut connection = match (self.security, &self.tls) {
            (Security::Implicit, tls) => AsyncSmtpConnection::connect_tokio1(
                (self.host.as_str(), self.port),
                Some(self.timeout),
                &self.hello,
                tls.clone(),
                None,
            )
            .await
            .map_err(classify)?,
            (security, tls) => {
                let connecting = tokio::net::TcpStream::connect((self.host.as_str(), self.port));
                let stream = tokio::time::timeout(self.timeout, connecting)
                    .await
                    .map_err(|_| SendError::Temporary("connecting timed out".into()))?
                    .map_err(|e| SendError::Temporary(format!("connection failed: {e}")))?;
                stream
                    .set_nodelay(true)
                    .map_err(|e| SendError::Temporary(format!("TCP_NODELAY: {e}")))?;
                let mut connection =
                    AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)
                        .await
                        .map_err(classify)?;
                if let (Security::StartTls, Some(tls)) = (security, tls) {
                    connection
                        .starttls(tls.clone(), &self.hello)
                        .await
                        .map_err(classify)?;
                }
                connection
            }
        };
        if let Some(credentials) = &self.credentials {
            connection
                .auth(DEFAULT_MECHANISMS, credentials)
                .await
                .map_err(classify)?;
        }
        self.opened.fetch_add(1, Ordering::Relaxed);
        Ok(connection)
    }

    /// A parked connection that still answers, else a new one.
    async fn connection(&self) -> Result<AsyncSmtpConnection, SendError> {
        loop {
            let parked = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let Some(mut parked) = parked else {
                return self.connect().await;
            };
            if parked.since.elapsed() <= IDLE_LIMIT
                && parked.connection.test_connected().await
                && !parked.connection.has_broken()
            {
                return Ok(parked.connection);
            }
            parked.connection.abort().await;
        }
    }

    async fn park(&self, mut connection: AsyncSmtpConnection) {
        if connection.has_broken() {
            connection.abort().await;
            return;
        }
        let surplus = {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < self.keep {
                idle.push(Parked {
                    connection,
                    since: Instant::now(),
                });
                None
            } else {
                Some(connection)
            }
        };
        if let Some(mut connection) = surplus {
            connection.abort().await;
        }
    }
}

/// A 5xx is permanent; everything else (4xx, the network, a timeout) is worth trying again later.
fn classify(error: SmtpError) -> SendError {
    if error.is_permanent() {
        SendError::Permanent(error.to_string())
    } else {
        SendError::Temporary(error.to_string())
    }
}

impl Transport for Smtp {
    fn send<'a>(&'a self, message: &'a Message) -> Sending<'a> {
        Box::pin(async move {
            let mut connection = self.connection().await?;
            let sent = connection
                .send(message.envelope(), &message.formatted())
                .await;
            self.park(connection).await;
            sent.map(|_| ()).map_err(classify)
        })
    }
}
