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

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/**
 * TLS options of the SMTP transport. Certificates are verified (a man in the middle with a
 * self-signed certificate would otherwise receive the password and every reset link); with
 * credentials STARTTLS is required, so they never cross the network in clear. A loopback
 * host may take credentials without TLS (nothing in between); `smtpInsecure` is the explicit
 * opt-out of both (matches PocketBase, whose SMTP client verifies certificates and sends
 * AUTH only over TLS or to localhost).
 */
export function smtpTransportSecurity(
  config: Pick<Config, 'smtpHost' | 'smtpUser' | 'smtpTls' | 'smtpInsecure'>,
): { tls: { rejectUnauthorized: boolean }; requireTLS: boolean } {
  if (config.smtpInsecure) return { tls: { rejectUnauthorized: false }, requireTLS: false };
  const loopback = LOOPBACK_HOSTS.has((config.smtpHost ?? '').toLowerCase());
  return {
    tls: { rejectUnauthorized: true },
    requireTLS: Boolean(config.smtpUser) && !config.smtpTls && !loopback,
  };
}

/**
 * Sends mail through the SMTP server of the config (nodemailer). Without `smtp_host`
 * the log says a mail was not sent (recipient and subject); only in development
 * (`--dev`) does it also hold the text, with the action link or code.
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
      // settings smtp.authMethod / localName (PocketBase's): the AUTH mechanism and EHLO name
      authMethod: config.smtpAuthMethod,
      ...(config.smtpLocalName ? { name: config.smtpLocalName } : {}),
      ...smtpTransportSecurity(config),
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
        // the text holds a reset link or an OTP code: printed only in development (--dev)
        logger.info(
          { mail: { to: message.to, subject: message.subject, ...(config.dev ? { text } : {}) } },
          config.dev ? 'mail (SMTP not configured, --dev)' : 'mail not sent: SMTP is not configured',
        );
        return;
      }
      transport ??= open();
      await (await transport).sendMail({
        from:
          (config.mailFromName ?? config.appName)
            ? { name: config.mailFromName ?? config.appName, address: config.mailFrom }
            : config.mailFrom,
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
