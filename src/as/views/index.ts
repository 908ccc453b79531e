export type { AccountView, ConnectedAppView } from './account.ts';
export { appPath, renderAccount } from './account.ts';
export type { AuditEventView } from './audit-trail.ts';
export type { ConfirmView } from './confirm.ts';
export { renderConfirm } from './confirm.ts';
export type { ConnectedAppPageView } from './connected-app.ts';
export { renderConnectedApp } from './connected-app.ts';
export type {
  ClientLabelView,
  ConsentView,
  DurationView,
  LimitGroupView,
  LimitInputView,
  LimitsView,
  ScopeGroupView,
  ScopeView,
} from './consent.ts';
export { renderConsent } from './consent.ts';
export type { CurrentAccessView, CurrentGrantView, TermsView } from './current-access.ts';
export type { DeviceCodeView } from './device-code.ts';
export { renderDeviceCodeConfirm, renderDeviceCodeInput } from './device-code.ts';
export type { HtmlValue, SafeHtml } from './html.ts';
export { escapeHtml, html, raw } from './html.ts';
export type { ProviderKeyRowView, ProviderKeysView } from './keys.ts';
export { renderProviderKeys } from './keys.ts';
export type { LayoutOptions } from './layout.ts';
export { layout } from './layout.ts';
export type { LoginView } from './login.ts';
export { renderLogin } from './login.ts';
export type { LowerLimitFieldView, LowerLimitsView } from './lower-limits-form.ts';
export type { MessageView } from './message.ts';
export { renderMessage } from './message.ts';
export { renderNotFound } from './not-found.ts';
export type { OAuthErrorView } from './oauth-error.ts';
export { renderOAuthError } from './oauth-error.ts';
export type { ChangePasswordView } from './password.ts';
export { renderChangePassword } from './password.ts';
export type { Stylesheet } from './stylesheet.ts';
export { stylesheet } from './stylesheet.ts';
