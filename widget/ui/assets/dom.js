/* Small DOM and formatting helpers shared by the pages (no framework). */
import { reason } from './i18n.js';

/** An element with attributes and children (strings become text nodes; arrays are flattened; null is skipped). */
export function el(tag, attrs, ...children) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (name) {
    if (attrs[name] !== null && attrs[name] !== undefined && attrs[name] !== false) {
      node.setAttribute(name, attrs[name] === true ? '' : attrs[name]);
    }
  });
  children.flat(Infinity).forEach(function (child) {
    if (child !== null && child !== undefined) {
      node.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
    }
  });
  return node;
}

export function clear(node) {
  while (node.firstChild) {
    node.removeChild(node.firstChild);
  }
}

export function newRequestId() {
  return window.crypto && crypto.randomUUID ? crypto.randomUUID()
    : String(Date.now()) + '-' + Math.random().toString(16).slice(2);
}

/** The phone as Pact wants it (digits only, country code first), or null when it is not a phone (10–15 digits). */
export function phoneDigits(raw) {
  var value = String(raw || '').trim();
  if (!/^[+\d\s().-]+$/.test(value)) {
    return null;
  }
  var digits = value.replace(/\D/g, '');
  return digits.length >= 10 && digits.length <= 15 ? digits : null;
}

/** A widget API failure in the user's words. */
export function errorText(error, t) {
  if (error && error.status === 401) {
    return t('common.sessionExpired');
  }
  if (!error || error.status === 0 || !error.message) {
    return t('common.unreachable');
  }
  return t('common.error', { detail: reason(error.message) });
}

