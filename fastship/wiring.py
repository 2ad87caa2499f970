"""Django's wiring that depends on no environment variable: the middleware
chain (in order, with why each is where it is) and the template engine."""

MIDDLEWARE = [
    # First, always (a system check enforces it): answers /health before any
    # host validation, HTTPS redirect, session, auth or logging can run.
    "healthcheck.middleware.ProbeMiddleware",
    # Second: every other response (redirects and 400s included) gets a request
    # id and one log record, handed to a bounded buffer without waiting.
    "fastship.requestlog.middleware.RequestLogMiddleware",
    # A NUL or over 1,000 fields in a query string or form: 400, before views.
    "fastship.security.QueryGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (admin, Swagger UI) from the image, compressed and cached.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # /admin/ and /django-rq/ only from ADMIN_ALLOWED_NETWORKS (when set).
    "fastship.security.AdminNetworkMiddleware",
    # Django's session, user and messages, for pages, the admin and readiness:
    # skipped for the API, which authenticates each request itself.
    "fastship.browser.BrowserSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "fastship.browser.BrowserAuthenticationMiddleware",
    "fastship.browser.BrowserMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
