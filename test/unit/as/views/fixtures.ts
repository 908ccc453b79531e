/** Values an attacker controls (client names, usernames, scope text) that must render inert. */
export const scriptName = '<script>alert(1)</script>';
export const attrBreakout = '"><img src=x onerror=alert(1)>';
export const escapedScript = '&lt;script&gt;alert(1)&lt;/script&gt;';
export const escapedBreakout = '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;';

export const csrfToken = 'csrf-token-123';
