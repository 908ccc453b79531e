import { errors, type KoaContextWithOIDC } from 'oidc-provider';

/**
 * The authorization request parameters of a raise request, after OAuth Grant Management
 * (`grant_id`, `grant_management_action`): `grant_id` names the access whose limits the
 * app asks to raise, the only action is `update`, and `authorization_details` must say
 * what is asked. The consent step checks the rest (whose grant it is, what it allows).
 */
export const raiseRequestParams = {
  grant_id(ctx: KoaContextWithOIDC, value: unknown) {
    if (value === undefined) {
      if (ctx.oidc.params?.grant_management_action !== undefined)
        throw new errors.InvalidRequest('grant_management_action needs grant_id');
      return;
    }
    if (typeof value !== 'string' || value.length === 0 || value.length > 255)
      throw new errors.InvalidRequest('grant_id must be the id of a grant (a string)');
    if (typeof ctx.oidc.params?.authorization_details !== 'string')
      throw new errors.InvalidRequest(
        'a request with grant_id raises limits: authorization_details must ask for them',
      );
  },
  grant_management_action(_ctx: KoaContextWithOIDC, value: unknown) {
    if (value !== undefined && value !== 'update')
      throw new errors.InvalidRequest(
        'grant_management_action must be update (limits of an existing grant are raised)',
      );
  },
};
