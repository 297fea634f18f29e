import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A message the catcher received: envelope recipients and the raw MIME text. */
export interface CaughtMail {
  to: string[];
  from: string;
  raw: string;
  /** Decoded subject header. */
  subject: string;
  /** Decoded text of the message (quoted-printable undone, soft breaks joined). */
  text: string;
}

/** A real SMTP server on a random port that keeps every message it receives. */
export interface SmtpCatcher {
  port: number;
  messages: CaughtMail[];
  /** Config overrides that point ForgeBase at this catcher. */
  config: { smtpHost: string; smtpPort: number };
  /** Every AUTH the catcher accepted, with the credentials as they arrived. */
  logins: { username: string; password: string; secure: boolean }[];
  /** The next message to `to` not yet taken (waits up to `timeoutMs`; rejects after). */
  waitForMail(to: string, timeoutMs?: number): Promise<CaughtMail>;
  close(): Promise<void>;
}

function decodeQuotedPrintable(s: string): string {
  const joined = s.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const ch = joined[i]!;
    const hex = joined.slice(i + 1, i + 3);
    if (ch === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(ch, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

function parse(raw: string, to: string[], from: string): CaughtMail {
  const subjectLine = /^Subject: (.*(?:\r?\n[ \t].*)*)/im.exec(raw)?.[1] ?? '';
  const subject = subjectLine
    .replace(/\r?\n[ \t]/g, ' ')
    .replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_m, enc: string, data: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    )
    .replace(/\?=\s+=\?/g, '');
  return { to, from, raw, subject, text: decodeQuotedPrintable(raw) };
}

/**
 * A self-signed certificate for 127.0.0.1/localhost (a man in the middle's certificate: no
 * CA vouches for it). Valid until 2126.
 */
export const SELF_SIGNED = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg7q2Ile6/a/f89ih1
I/OxLt9ljOkqSbNzyX017jE+WoyhRANCAARk7ms+zncevkmX/TGlsC4lL711VqNK
akPwMCwQQKfJrL0pYVHhwVPQaLMHDRhu+R5A8Qa1rNwPogKyjDlBiF3i
-----END PRIVATE KEY-----
`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBmjCCAUGgAwIBAgIUTQ6YBiqNI9uamalLkRW7VXrXfaowCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTIwMzEyNTEyMVoYDzIxMjYxMTA5
MTI1MTIxWjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARk7ms+zncevkmX/TGlsC4lL711VqNKakPwMCwQQKfJrL0pYVHhwVPQ
aLMHDRhu+R5A8Qa1rNwPogKyjDlBiF3io28wbTAdBgNVHQ4EFgQUwEZilLhr8252
iyQrv+4RcMSMLfowHwYDVR0jBBgwFoAUwEZilLhr8252iyQrv+4RcMSMLfowDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDRwAwRAIgG2Aqo62fW0Guym+a+miTTr08FgI4j3KSfHJQQQUwjKcCIAES
KWG4SieOmSwAr/3SwpAwkZGU8L3QZtEeQwSJXVfg
-----END CERTIFICATE-----
`,
};

/** How the catcher listens: `starttls` offers STARTTLS with SELF_SIGNED; `host` binds elsewhere. */
export interface SmtpCatcherOptions {
  starttls?: boolean;
  host?: string;
}

/** Starts the catcher on 127.0.0.1 (or `host`) and a free port; no TLS unless asked, any AUTH accepted. */
export async function startSmtpCatcher(options: SmtpCatcherOptions = {}): Promise<SmtpCatcher> {
  const messages: CaughtMail[] = [];
  const logins: SmtpCatcher['logins'] = [];
  const taken = new Set<CaughtMail>();
  const waiters = new Set<() => void>();
  const host = options.host ?? '127.0.0.1';
  const server = new SMTPServer({
    authOptional: true,
    ...(options.starttls
      ? { key: SELF_SIGNED.key, cert: SELF_SIGNED.cert }
      : { disabledCommands: ['STARTTLS'] }),
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, session, callback) {
      logins.push({ username: auth.username ?? '', password: auth.password ?? '', secure: session.secure });
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        messages.push(parse(Buffer.concat(chunks).toString('utf8'), to, from));
        for (const w of waiters) w();
        callback();
      });
    },
  });
  server.listen(0, host);
  await once(server.server, 'listening');
  const port = (server.server.address() as AddressInfo).port;

  return {
    port,
    messages,
    logins,
    config: { smtpHost: host, smtpPort: port },
    waitForMail(to, timeoutMs = 5000) {
      const want = to.toLowerCase();
      const take = () => {
        const m = messages.find((x) => !taken.has(x) && x.to.includes(want));
        if (m) taken.add(m);
        return m;
      };
      const found = take();
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = take();
          if (!m) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(m);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no mail to ${to} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close() {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** The token of an action link in a mail (`…/confirm-verification/<token>`). */
export function tokenFromMail(mail: CaughtMail, action: string): string {
  const m = new RegExp(`/${action}/([\\w-]+\\.[\\w-]+\\.[\\w-]+)`).exec(mail.text);
  if (!m?.[1]) throw new Error(`no ${action} link in mail: ${mail.text}`);
  return m[1];
}

/** The one-time code of an OTP mail (the digits in <strong>). */
export function otpFromMail(mail: CaughtMail): string {
  const m = /<strong>(\d+)<\/strong>/.exec(mail.text);
  if (!m?.[1]) throw new Error(`no OTP in mail: ${mail.text}`);
  return m[1];
}
