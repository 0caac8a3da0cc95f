"""Who a caller is and what it may see: principals, bearer-token verification, topic scopes and
field rules and masks. The transport makes the principal (http/, graphql/ws/); the faces ask
these rules."""
