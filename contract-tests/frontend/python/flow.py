"""The sign-up and password-reset flow through the client openapi-python-client generates.

The client is generated from the committed openapi/openapi.json into
python/generated/account_api_client (run.sh, or README's commands), never
edited. This script runs the flow against a live server through it and checks
the *parsed models*: their classes, and the Python types of the values the
generator put in them (its `from_dict` does not check scalar types, so a
number where the document says string would otherwise pass unnoticed).
Exit status 1 on any mismatch.

    ACCOUNT_API_BASE_URL    the server (default http://127.0.0.1:5000)
    ACCOUNT_API_DEMO_USERS  1 to also log in the users of `account-api demo`
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "generated"))

from account_api_client import Client  # noqa: E402
from account_api_client.api.account import (  # noqa: E402
    forget_password,
    isregister,
    login,
    login_get,
    register,
    sendsms,
    sendsms_get,
    verify_code,
)
from account_api_client.models import (  # noqa: E402
    ApplyDetails,
    ApplyState,
    EmptyObject,
    ForgetPasswordForm,
    IsregisterExpect,
    LoginData,
    LoginFailure,
    LoginFailureCode,
    LoginForm,
    LoginSuccess,
    RegisterData,
    RegisterForm,
    RegisterSuccess,
    SendSmsCode,
    SendSmsForm,
    SendSmsFormExpect,
    SendSmsReply,
    SendsmsGetExpect,
    StatusReply,
    StatusReplyCode,
)

BASE_URL = os.environ.get("ACCOUNT_API_BASE_URL", "http://127.0.0.1:5000")
HEX32 = re.compile(r"[0-9a-f]{32}")
failures = 0


def check(condition: bool, what: str) -> None:
    global failures
    if not condition:
        failures += 1
    print(f"{'ok  ' if condition else 'FAIL'} {what}", flush=True)


def raw(response) -> object:
    return json.loads(response.content)


def status_ok(step: str, response, code: int, msg: str) -> None:
    parsed = response.parsed
    check(response.status_code == 200, f"{step}: HTTP {response.status_code}")
    check(
        isinstance(parsed, StatusReply)
        and isinstance(parsed.code, StatusReplyCode)
        and type(parsed.code.value) is int
        and parsed.code == code
        and parsed.msg == msg
        and parsed.data.value == "",
        f"{step}: StatusReply code {code} (int) {msg}: {raw(response)}",
    )


def sign_up_and_reset(client: Client) -> None:
    phone = "108" + f"{random.randrange(10**8):08d}"
    print(f"flow for {phone} against {BASE_URL}")

    # sendsms (POST): the code is the string "200", as an enum of strings.
    response = sendsms.sync_detailed(phone, client=client, body=SendSmsForm(expect=SendSmsFormExpect.VALUE_0))
    parsed = response.parsed
    check(response.status_code == 200 and bool(response.headers.get("x-request-id")), "sendsms: HTTP 200 with X-Request-Id")
    check(
        isinstance(parsed, SendSmsReply)
        and isinstance(parsed.code, SendSmsCode)
        and type(parsed.code.value) is str
        and parsed.code.value == "200"
        and raw(response) == {"code": "200", "msg": "发送成功"},
        f"sendsms: SendSmsReply with the string code \"200\": {raw(response)}",
    )

    status_ok("isregister expect=0", isregister.sync_detailed(phone, client=client, expect=IsregisterExpect.VALUE_0), 200, "手机号未注册")

    # register (POST): enterprise_id is an int, apply the empty object.
    response = register.sync_detailed(
        client=client,
        body=RegisterForm(phone=phone, name="前端 python", password="first-pw1", device_identifier="py-phone-1", code="123456"),
    )
    parsed = response.parsed
    check(isinstance(parsed, RegisterSuccess) and isinstance(parsed.data, RegisterData), f"register: RegisterSuccess: {raw(response)}")
    if not isinstance(parsed, RegisterSuccess):
        return
    account = parsed.data
    check(type(account.enterprise_id) is int and account.enterprise_id == -1, f"register: enterprise_id is the int -1 ({account.enterprise_id!r})")
    check(HEX32.fullmatch(account.token) is not None and HEX32.fullmatch(account.user_id) is not None, "register: token and user_id are 32 hex characters")
    check(
        account.pemissions == [] and isinstance(account.apply, EmptyObject) and account.apply.to_dict() == {} and account.change_device is False,
        "register: pemissions [], apply EmptyObject {}, change_device False",
    )
    register_token = account.token

    status_ok("isregister expect=1", isregister.sync_detailed(phone, client=client, expect=IsregisterExpect.VALUE_1), 200, "手机号已注册")

    # login (POST; the generated client sends the form): enterprise_id is a str.
    response = login.sync_detailed(client=client, body=LoginForm(phone=phone, password="first-pw1", device_identifier="py-phone-2"))
    parsed = response.parsed
    check(isinstance(parsed, LoginSuccess) and isinstance(parsed.data, LoginData), f"login: LoginSuccess: {raw(response)}")
    if isinstance(parsed, LoginSuccess):
        data = parsed.data
        check(type(data.enterprise_id) is str and data.enterprise_id == "-1", f"login: enterprise_id is the str \"-1\" ({data.enterprise_id!r})")
        check(isinstance(data.apply, EmptyObject) and data.apply.to_dict() == {}, f"login: apply is the EmptyObject {{}} ({type(data.apply).__name__})")
        check(data.change_device is True and data.token != register_token, "login: change_device True, a new token")
        check(all(type(p) is str for p in data.pemissions), "login: pemissions are strs")

    # login (GET) with a wrong password: LoginFailure, code -1.
    response = login_get.sync_detailed(client=client, phone=phone, password="wrong-pw9", device_identifier="py-phone-2")
    parsed = response.parsed
    check(
        isinstance(parsed, LoginFailure) and parsed.code is LoginFailureCode.VALUE_NEGATIVE_1 and parsed.msg == "手机号或密码错误",
        f"login wrong password: LoginFailure -1: {raw(response)}",
    )

    # Password reset. The sign-up code went to this phone moments ago, so a
    # server with the default limit (one code a minute per phone) answers 429
    # with Retry-After: wait as it says, once, as an app's "resend" button does.
    response = sendsms_get.sync_detailed(phone, client=client, expect=SendsmsGetExpect.VALUE_1)
    if isinstance(response.parsed, SendSmsReply) and response.parsed.code.value == "429":
        wait = response.headers.get("retry-after", "")
        check(wait.isdigit() and 1 <= int(wait) <= 60, f"sendsms expect=1: 429 carries Retry-After of 1-60 s ({wait!r})")
        print(f"      sendsms expect=1: 429, waiting {wait} s as Retry-After says")
        time.sleep(min(max(int(wait) if wait.isdigit() else 60, 1), 60))
        response = sendsms_get.sync_detailed(phone, client=client, expect=SendsmsGetExpect.VALUE_1)
    check(isinstance(response.parsed, SendSmsReply) and response.parsed.code.value == "200", f"sendsms expect=1: \"200\": {raw(response)}")
    status_ok("verify_code", verify_code.sync_detailed(client=client, phone=phone, code="000000"), 200, "验证码正确")
    status_ok("forget_password", forget_password.sync_detailed(client=client, body=ForgetPasswordForm(phone=phone, password="second-pw2")), 200, "修改成功")
    old = login.sync_detailed(client=client, body=LoginForm(phone=phone, password="first-pw1", device_identifier="py-phone-2")).parsed
    check(isinstance(old, LoginFailure), "login with the old password: LoginFailure")
    new = login.sync_detailed(client=client, body=LoginForm(phone=phone, password="second-pw2", device_identifier="py-phone-2")).parsed
    check(isinstance(new, LoginSuccess), "login with the new password: LoginSuccess")


def demo_users(client: Client) -> None:
    """The users of `account-api demo`: apply in every state, parsed into ApplyDetails."""
    for phone, state in [("13900000001", None), ("13900000002", "0"), ("13900000003", "1"), ("13900000004", "-1")]:
        response = login.sync_detailed(client=client, body=LoginForm(phone=phone, password="demo123456", device_identifier="py-demo"))
        parsed = response.parsed
        if not isinstance(parsed, LoginSuccess):
            check(False, f"demo {phone}: LoginSuccess: {raw(response)}")
            continue
        apply = parsed.data.apply
        if state is None:
            check(isinstance(apply, EmptyObject) and apply.to_dict() == {}, f"demo {phone}: apply is the EmptyObject {{}}")
        else:
            check(
                isinstance(apply, ApplyDetails)
                and isinstance(apply.apply_state, ApplyState)
                and type(apply.apply_state.value) is str
                and apply.apply_state.value == state
                and type(apply.apply_eid) is int
                and type(apply.apply_name) is str,
                f"demo {phone}: ApplyDetails, apply_state {state!r} (a str): {raw(response)['data']['apply']}",
            )
        check(type(parsed.data.enterprise_id) is str, f"demo {phone}: enterprise_id {parsed.data.enterprise_id!r} is a str")
        if state == "1":
            check(parsed.data.enterprise_id != "-1" and len(parsed.data.pemissions) > 0, f"demo {phone}: a member with permissions {parsed.data.pemissions}")


def main() -> int:
    with Client(base_url=BASE_URL, raise_on_unexpected_status=True) as client:
        sign_up_and_reset(client)
        if os.environ.get("ACCOUNT_API_DEMO_USERS") == "1":
            demo_users(client)
    print("python flow: all checks passed" if failures == 0 else f"python flow: {failures} check(s) failed")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
