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

Deno.test("loadWebhookSettings() says a negative or out-of-range number must be a positive whole number in range", () => {
  for (const value of ["-5", "5", "abc", "1.5", "99999"]) {
    try {
      loadWebhookSettings({ MEDLEMSBRO_WEBHOOK_MAX_SKEW_S: value });
      assert.fail(`expected a SettingsError for ${value}`);
    } catch (error) {
      assert.ok(error instanceof SettingsError);
      assert.deepEqual(error.issues, [
        "MEDLEMSBRO_WEBHOOK_MAX_SKEW_S: must be a positive whole number from 10 to 3600",
      ]);
    }
  }
  try {
    loadWebhookSettings({ MEDLEMSBRO_WEBHOOK_FLUSH_AGE_MS: "-1" });
    assert.fail("expected a SettingsError");
  } catch (error) {
    assert.ok(error instanceof SettingsError);
    assert.deepEqual(error.issues, [
      "MEDLEMSBRO_WEBHOOK_FLUSH_AGE_MS: must be a whole number from 0 to 3600000",
    ]);
  }
});
