import assert from "node:assert/strict";
import { SettingsError } from "../config/settings.ts";
import {
  describeWebhookSettings,
  loadWebhookSettings,
} from "./webhook_settings.ts";

Deno.test("loadWebhookSettings() reads comma-separated secrets and never echoes one", () => {
  const settings = loadWebhookSettings({
    MEDLEMSBRO_WEBHOOK_SECRETS:
      "first-secret-0123456789, second-secret-0123456789",
    MEDLEMSBRO_WEBHOOK_FLUSH_SIZE: "100",
  });
  assert.equal(settings.secrets.length, 2);
  assert.equal(settings.flushSize, 100);
  assert.equal(settings.flushAgeMs, 5000);
  const shown = JSON.stringify(describeWebhookSettings(settings));
  assert.ok(!shown.includes("first-secret"));
  assert.match(shown, /"secrets":2/);

  try {
    loadWebhookSettings({
      MEDLEMSBRO_WEBHOOK_SECRETS: "short-one",
      MEDLEMSBRO_WEBHOOK_MAX_ATTEMPTS: "0",
    });
    assert.fail("expected a SettingsError");
  } catch (error) {
    assert.ok(error instanceof SettingsError);
    assert.equal(error.issues.length, 2);
    assert.match(error.message, /MEDLEMSBRO_WEBHOOK_SECRETS/);
    assert.match(error.message, /MEDLEMSBRO_WEBHOOK_MAX_ATTEMPTS/);
    assert.ok(!error.message.includes("short-one"));
  }
});
