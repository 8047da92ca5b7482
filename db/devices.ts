/**
 * A device's name as a person would recognise it in a list of their sessions ("Chrome on
 * Windows", "Chrome on Android (Samsung SM-A536E)", "curl"), from the user agent it sent.
 * Versions are left out: a browser update is not a new device, and "a login from a new device"
 * is audited by comparing these names.
 */
import { UAParser } from 'ua-parser-js';

export const UNKNOWN_DEVICE = 'unknown device';

export function deviceName(userAgent: string | null | undefined): string {
  const ua = userAgent?.trim();
  if (!ua) return UNKNOWN_DEVICE;
  const { browser, os, device } = new UAParser(ua).getResult();
  const model = [device.vendor, device.model].filter(Boolean).join(' ');
  if (browser.name || os.name) {
    const name = [browser.name, os.name].filter(Boolean).join(' on ');
    return (model ? `${name} (${model})` : name).slice(0, 100);
  }
  // Apps and scripts: their product token ("okhttp/4.12.0" → "okhttp"), as they name themselves.
  const product = /^[A-Za-z][\w.+-]{0,60}/.exec(ua)?.[0];
  return product ?? UNKNOWN_DEVICE;
}
