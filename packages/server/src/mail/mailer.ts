import type { Config } from '../config.ts';
import type { Logger } from '../observability/logger.ts';

/** One outgoing message. */
export interface MailMessage {
  to: string;
  subject: string;
  html: string;
}

export type Mailer = ReturnType<typeof createMailer>;

export interface MailerDeps {
  config: Config;
  logger: Logger;
}

/** Visible text of an HTML body, for the development log and the plain-text part. */
export function htmlToText(html: string): string {
  return html
    .replace(/<a\s[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi, '$2 ($1)')
    .replace(/<br\s*\/?>|<\/p>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n\s*\n+/g, '\n')
    .trim();
}

/**
 * Sends mail through the SMTP server of the config (nodemailer). Without `smtp_host`
 * (development) each message is written to the log instead: recipient, subject and its
 * text, which holds the action link or code (templates never carry passwords).
 */
export function createMailer({ config, logger }: MailerDeps) {
  type Transport = { sendMail(m: Record<string, unknown>): Promise<unknown>; close(): void };
  let transport: Promise<Transport> | undefined;
  let refresh: (() => Promise<void>) | undefined;

  const open = async (): Promise<Transport> => {
    // nodemailer loads on first use: many deployments never send mail
    const nodemailer = await import('nodemailer');
    return nodemailer.createTransport({
      host: config.smtpHost,
      port: config.smtpPort,
      secure: config.smtpTls,
      ...(config.smtpUser ? { auth: { user: config.smtpUser, pass: config.smtpPassword ?? '' } } : {}),
      // a local or test server may use a self-signed certificate for STARTTLS
      tls: { rejectUnauthorized: false },
    }) as unknown as Transport;
  };

  return {
    /** True when mail really leaves the process (SMTP configured). */
    get enabled(): boolean {
      return Boolean(config.smtpHost);
    },

    /** Runs before each message (the settings service reloads SMTP settings changed on another node). */
    beforeSend(fn: () => Promise<void>): void {
      refresh = fn;
    },

    /** Drops the open SMTP connection, so the next message uses the current settings. */
    reset(): void {
      const old = transport;
      transport = undefined;
      if (old) void old.then((t) => t.close()).catch(() => {});
    },

    /** Sends one message; rejects when the SMTP server refuses it. */
    async send(message: MailMessage): Promise<void> {
      await refresh?.();
      const text = htmlToText(message.html);
      if (!config.smtpHost) {
        logger.info(
          { mail: { to: message.to, subject: message.subject, text } },
          'mail (SMTP not configured)',
        );
        return;
      }
      transport ??= open();
      await (await transport).sendMail({
        from: config.appName ? { name: config.appName, address: config.mailFrom } : config.mailFrom,
        to: message.to,
        subject: message.subject,
        html: message.html,
        text,
      });
    },

    /** Closes the SMTP connection pool, if one was opened. */
    async close(): Promise<void> {
      if (transport) (await transport.catch(() => undefined))?.close();
    },
  };
}
