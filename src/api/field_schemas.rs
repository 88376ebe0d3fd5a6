//! How each domain type appears in the OpenAPI document: its schema (type,
//! description, example, constraints) and poem-openapi's traits, which
//! delegate the parsing to the type's own [`RequestField`] so that the
//! document and the parsing cannot disagree. The domain types themselves
//! know nothing of poem-openapi.

use std::borrow::Cow;

use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type},
};
use serde_json::Value;

use crate::domain::{
    DeviceId, EnterpriseId, Expect, Flag, Mobile, Name, Password, Phone, RequestField, SessionId,
    SmsCodeInput,
};

/// Implements poem-openapi's traits for a domain type: `$name` is the
/// request field's name, which is also the schema's type name (a path
/// parameter's errors name it); `$schema` builds the schema; `$to_json`
/// writes a value back out (`None` for a secret).
macro_rules! openapi_type {
    ($ty:ty, $name:literal, $schema:expr, |$value:ident| $to_json:expr) => {
        impl Type for $ty {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> Cow<'static, str> {
                $name.into()
            }

            fn schema_ref() -> MetaSchemaRef {
                MetaSchemaRef::Inline(Box::new($schema))
            }

            fn as_raw_value(&self) -> Option<&Self> {
                Some(self)
            }

            fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
                Box::new(std::iter::once(self))
            }
        }

        impl ParseFromJSON for $ty {
            fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
                <Self as RequestField>::from_optional_json(value).map_err(ParseError::custom)
            }
        }

        impl ToJSON for $ty {
            fn to_json(&self) -> Option<Value> {
                let $value = self;
                $to_json
            }
        }
    };
}

/// [`openapi_type!`] for a string-valued type with `as_str`: `$configure`
/// adds constraints to the schema; with `secret` the value is never written
/// back out.
macro_rules! string_field {
    ($ty:ident, $field:literal, $description:literal, $example:literal, |$schema:ident| $configure:block) => {
        string_field!(@schema $ty, $field, $description, $example, |$schema| $configure, |value| Some(Value::from(value.as_str())));
    };
    ($ty:ident, $field:literal, $description:literal, $example:literal, |$schema:ident| $configure:block, secret) => {
        string_field!(@schema $ty, $field, $description, $example, |$schema| $configure, |_value| None);
    };
    (@schema $ty:ident, $field:literal, $description:literal, $example:literal, |$schema:ident| $configure:block, |$value:ident| $to_json:expr) => {
        openapi_type!(
            $ty,
            $field,
            {
                let mut $schema = MetaSchema::new("string");
                $schema.description = Some($description);
                $schema.example = Some(Value::from($example));
                $configure
                $schema
            },
            |$value| $to_json
        );
    };
}

/// The schema constraints of a phone number, under either name.
fn constrain_phone_schema(schema: &mut MetaSchema) {
    schema.pattern = Some("^1[0-9]{10}$".to_owned());
    schema.min_length = Some(11);
    schema.max_length = Some(11);
}

string_field!(
    SmsCodeInput,
    "code",
    "短信验证码, 6位数字; 校验关闭时(默认)服务器不校验 (SMS code, 6 digits; not checked while verification is off, the default)",
    "123456",
    |s| {
        s.pattern = None;
    },
    secret
);

string_field!(
    DeviceId,
    "device_identifier",
    "设备唯一标示, 1-128个字符, 不含控制字符 (opaque identifier of the device, 1 to 128 characters, no control characters)",
    "uuid",
    |s| {
        s.min_length = Some(1);
        s.max_length = Some(DeviceId::MAX_CHARS);
        s.pattern = Some(DeviceId::pattern());
    }
);

string_field!(
    Password,
    "password",
    "密码, 前端不加密, 6-14位 (password in clear over TLS, 6 to 14 characters)",
    "123456",
    |s| {
        s.min_length = Some(Password::MIN_CHARS);
        s.max_length = Some(Password::MAX_CHARS);
        s.format = Some("password");
    },
    secret
);

string_field!(
    Name,
    "name",
    "姓名, 去掉首尾空白后1-32个字符, 不含控制字符 (display name, 1 to 32 characters after trimming surrounding white space, no control characters)",
    "于连林",
    |s| {
        s.min_length = Some(1);
        s.pattern = Some(Name::pattern());
    }
);

string_field!(
    Phone,
    "phone",
    "手机号, 1开头的11位数字 (mainland mobile number, 11 digits starting with 1)",
    "13126939916",
    |s| {
        constrain_phone_schema(&mut s);
    }
);

string_field!(
    Mobile,
    "mobile",
    "手机号, 1开头的11位数字 (mainland mobile number, 11 digits starting with 1)",
    "13126939916",
    |s| {
        constrain_phone_schema(&mut s);
    }
);

openapi_type!(
    Expect,
    "expect",
    {
        let mut schema = MetaSchema::new_with_format("integer", "int32");
        schema.description = Some(
            "期望: 0(默认)是期望没注册(用于注册), 1是期望注册过(用于忘记密码) \
             (0, the default: the phone should not be registered yet, for sign-up; \
             1: it should be registered, for a password reset)",
        );
        schema.enum_items = vec![Value::from(0), Value::from(1)];
        schema.default = Some(Value::from(0));
        schema.example = Some(Value::from(1));
        schema
    },
    |value| Some(Value::from(value.as_number()))
);

openapi_type!(
    Flag,
    "flag",
    {
        let mut schema = MetaSchema::new("boolean");
        schema.description = Some("true或false (true or false)");
        schema
    },
    |value| Some(Value::Bool(value.is_set()))
);

openapi_type!(
    SessionId,
    "id",
    {
        let mut schema = MetaSchema::new_with_format("integer", "int64");
        schema.description = Some("会话id, 正整数 (a session's id, a positive integer)");
        schema.minimum = Some(1.0);
        schema.example = Some(Value::from(2));
        schema
    },
    |value| Some(Value::from(value.get()))
);

openapi_type!(
    EnterpriseId,
    "enterprise_id",
    {
        let mut schema = MetaSchema::new_with_format("integer", "int64");
        schema.description = Some(
            "企业id, 正整数, 见GET enterprises (an enterprise's id, a positive integer, as `GET enterprises` lists it)",
        );
        schema.minimum = Some(1.0);
        schema.example = Some(Value::from(1));
        schema
    },
    |value| Some(Value::from(value.get()))
);
