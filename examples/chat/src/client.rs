//! The chat client, the same code natively and in the browser.

use tulipa::ws::{self, Message, WebSocketReceiver, WebSocketSender};

/// Joins the chat at `url` as `name`.
///
/// # Errors
///
/// The connection's [`ws::Error`].
///
/// # Cancel safety
///
/// Safe: a half-opened connection is closed.
pub async fn join(url: &str, name: &str) -> Result<(Outgoing, Incoming), ws::Error> {
    let (tx, rx) = ws::connect(url).await?.split();
    tx.send(format!("/nick {name}")).await?;
    Ok((Outgoing { tx }, Incoming { rx }))
}

/// Sends lines to the chat.
#[derive(Clone, Debug)]
pub struct Outgoing {
    tx: WebSocketSender,
}

impl Outgoing {
    /// Sends one line.
    ///
    /// # Errors
    ///
    /// The connection's [`ws::Error`].
    ///
    /// # Cancel safety
    ///
    /// Safe (as [`WebSocketSender::send`]).
    pub async fn say(&self, line: &str) -> Result<(), ws::Error> {
        self.tx.send(line).await
    }

    /// Leaves the chat.
    ///
    /// # Errors
    ///
    /// The connection's [`ws::Error`].
    ///
    /// # Cancel safety
    ///
    /// The close is sent on the first poll; cancelling only stops the wait.
    pub async fn leave(&self) -> Result<(), ws::Error> {
        self.tx.close(ws::close_code::NORMAL, "bye").await
    }
}

/// Lines from the chat.
#[derive(Debug)]
pub struct Incoming {
    rx: WebSocketReceiver,
}

impl Incoming {
    /// The next line, or `None` once the server closed the connection.
    ///
    /// # Cancel safety
    ///
    /// Safe (as [`WebSocketReceiver::recv`]).
    pub async fn next(&mut self) -> Option<String> {
        loop {
            match self.rx.recv().await {
                Ok(Message::Text(t)) => return Some(t),
                Ok(Message::Binary(_)) => continue,
                Ok(Message::Close { .. }) | Err(_) => return None,
            }
        }
    }
}
