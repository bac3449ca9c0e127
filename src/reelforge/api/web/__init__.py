"""The web studio's server side: browser sessions (cookies, CSRF) and the built bundle."""
