"""Key check for the two-proxy loopback test, loaded by LiteLLM (general_settings.custom_auth).

LiteLLM's virtual keys live in PostgreSQL through Prisma, whose engines are downloaded at install
time and cannot be here (no internet). This stands in for the database lookup only: it returns
the same UserAPIKeyAuth a stored key with an rpm limit yields, and LiteLLM's own rate limiter
does the rest, counting in the shared Redis.
"""

import os

from fastapi import HTTPException, Request
from litellm.proxy._types import LitellmUserRoles, UserAPIKeyAuth


async def user_api_key_auth(request: Request, api_key: str) -> UserAPIKeyAuth:
    if api_key == os.environ["LITELLM_MASTER_KEY"]:
        return UserAPIKeyAuth(api_key=api_key, user_role=LitellmUserRoles.PROXY_ADMIN)
    if api_key == os.environ["LOOPBACK_LIMITED_KEY"]:
        return UserAPIKeyAuth(api_key=api_key, token="loopback-limited-key",
                              rpm_limit=int(os.environ["LOOPBACK_RPM_LIMIT"]))
    raise HTTPException(status_code=401, detail="unknown key")
