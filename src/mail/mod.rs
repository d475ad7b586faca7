//! Outgoing mail: SMTP when configured, otherwise `.eml` files in `data_dir/mail`.
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Settings;

pub enum Mailer {
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox },
    Files { dir: std::path::PathBuf, from: Mailbox },
}

impl Mailer {
    pub fn from_settings(s: &Settings) -> anyhow::Result<Self> {
        let from: Mailbox = s.mail.from.parse()?;
        if s.mail.smtp_host.is_empty() {
            let dir = s.data_dir.join("mail");
            std::fs::create_dir_all(&dir)?;
            return Ok(Self::Files { dir, from });
        }
        let builder = match s.mail.smtp_security.as_str() {
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.mail.smtp_host)?,
            "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.mail.smtp_host)?,
            _ => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.mail.smtp_host),
        };
        let mut builder = builder.port(s.mail.smtp_port);
        if !s.mail.smtp_username.is_empty() {
            builder = builder.credentials(Credentials::new(s.mail.smtp_username.clone(), s.mail.smtp_password.clone()));
        }
        Ok(Self::Smtp { transport: builder.build(), from })
    }

    /// Sends one plain-text mail.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> anyhow::Result<()> {
        let from = match self {
            Self::Smtp { from, .. } | Self::Files { from, .. } => from.clone(),
        };
        let msg = Message::builder()
            .from(from)
            .to(to.parse()?)
            .subject(subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(body.to_owned())?;
        match self {
            Self::Smtp { transport, .. } => {
                transport.send(msg).await?;
            }
            Self::Files { dir, .. } => {
                let name = format!(
                    "{}-{}.eml",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f"),
                    hex::encode(rand::random::<[u8; 4]>())
                );
                let tmp = dir.join(format!("{name}.tmp"));
                tokio::fs::write(&tmp, msg.formatted()).await?;
                tokio::fs::rename(&tmp, dir.join(name)).await?;
            }
        }
        Ok(())
    }
}
