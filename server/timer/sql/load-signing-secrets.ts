/** The signing secrets (current, previous) of the projects `$1`. */
export const LOAD_SIGNING_SECRETS_SQL = `select id, signing_secret, previous_signing_secret from projects where id = any($1::text[])`;
