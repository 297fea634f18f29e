import Type from 'typebox';
import type { Paths } from './operation.ts';

const Settings = Type.Object({
  meta: Type.Object({
    appName: Type.String(),
    appURL: Type.String(),
    senderName: Type.String(),
    senderAddress: Type.String(),
  }),
  smtp: Type.Object({
    enabled: Type.Boolean(),
    host: Type.String(),
    port: Type.Integer(),
    username: Type.String(),
    password: Type.String({
      description: 'Write-only: always "" in answers; "" in a PATCH keeps the stored one.',
    }),
    tls: Type.Boolean(),
  }),
});

/** PocketBase's settings API, for the settings ForgeBase changes at runtime (superusers). */
export const SETTINGS_PATHS: Paths = {
  '/api/settings': {
    get: { summary: 'The runtime settings (superusers)', tag: 'settings', ok: Settings },
    patch: {
      summary: 'Change the app name and URL, the mail sender or SMTP (superusers)',
      tag: 'settings',
      body: Settings,
      ok: Settings,
    },
  },
  '/api/settings/test/email': {
    post: {
      summary: 'Send a test email with the current settings (superusers)',
      tag: 'settings',
      body: Type.Object({ email: Type.String() }),
      ok: 204,
    },
  },
};
