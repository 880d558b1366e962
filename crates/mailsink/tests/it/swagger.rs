//! Mailpit's API description (`tests/mailpit/swagger.json`) and a validator for the part
//! of JSON Schema that Swagger 2.0 uses there: `type`, `format: date-time`,
//! `properties`, `required`, `additionalProperties`, `items`, `enum` and `$ref`.
//!
//! Responses are checked strictly: every property a schema declares must be there, since
//! Mailpit's Go structs always write every field and its clients read them.

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The API description.
pub struct Spec(Value);

/// One operation: method (lower case), path template, operation ID.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Operation {
    pub method: String,
    pub path: String,
    pub id: String,
}

impl Spec {
    pub fn load() -> Self {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mailpit/swagger.json");
        let text = std::fs::read_to_string(path).expect("the API description is there");
        Self(serde_json::from_str(&text).expect("the API description is JSON"))
    }

    pub fn operations(&self) -> Vec<Operation> {
        let mut out = Vec::new();
        for (path, methods) in self.0["paths"].as_object().expect("paths") {
            for (method, op) in methods.as_object().expect("methods") {
                out.push(Operation {
                    method: method.clone(),
                    path: path.clone(),
                    id: op["operationId"].as_str().unwrap_or_default().to_owned(),
                });
            }
        }
        out.sort();
        out
    }

    /// The operation's object in the description.
    pub fn operation(&self, op: &Operation) -> &Value {
        &self.0["paths"][&op.path][&op.method]
    }

    /// The schema of the body parameter, if the operation takes one.
    pub fn request_schema(&self, op: &Operation) -> Option<&Value> {
        self.operation(op)["parameters"]
            .as_array()?
            .iter()
            .find(|p| p["in"] == "body")
            .map(|p| &p["schema"])
    }

    /// The response object for `status` (its `$ref` kept, so `OKResponse` can be told).
    pub fn response(&self, op: &Operation, status: u16) -> Option<&Value> {
        let r = &self.operation(op)["responses"][status.to_string()];
        (!r.is_null()).then_some(r)
    }

    /// The schema of a response object.
    pub fn response_schema<'a>(&'a self, response: &'a Value) -> &'a Value {
        match response["$ref"].as_str() {
            Some(r) => &self.resolve(r)["schema"],
            None => &response["schema"],
        }
    }

    fn resolve(&self, reference: &str) -> &Value {
        let pointer = reference.strip_prefix('#').expect("a local $ref");
        self.0.pointer(pointer).expect("the $ref exists")
    }

    /// Checks `value` against `schema`; `strict`: every declared property must be there.
    pub fn validate(&self, schema: &Value, value: &Value, strict: bool) -> Result<(), String> {
        let mut errors = Vec::new();
        self.check(schema, value, "$", strict, &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("\n"))
        }
    }

    fn check(
        &self,
        schema: &Value,
        value: &Value,
        at: &str,
        strict: bool,
        errors: &mut Vec<String>,
    ) {
        // A `$ref` beside a schema of its own (Mailpit's `Triggers` refers to itself) adds
        // nothing; alone, it stands for the schema it names.
        if let Some(r) = schema["$ref"].as_str()
            && schema.get("type").is_none()
            && schema.get("properties").is_none()
        {
            return self.check(self.resolve(r), value, at, strict, errors);
        }
        if let Some(t) = schema["type"].as_str() {
            let ok = match t {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                "boolean" => value.is_boolean(),
                other => {
                    errors.push(format!("{at}: unknown type {other} in the schema"));
                    return;
                }
            };
            if !ok {
                errors.push(format!("{at}: expected {t}, got {value}"));
                return;
            }
        }
        if schema["format"] == "date-time"
            && let Some(s) = value.as_str()
            && OffsetDateTime::parse(s, &Rfc3339).is_err()
        {
            errors.push(format!("{at}: {s:?} is not an RFC 3339 date-time"));
        }
        if let Some(allowed) = schema["enum"].as_array()
            && !allowed.contains(value)
        {
            errors.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
        if let Some(object) = value.as_object() {
            let properties = schema["properties"].as_object();
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap_or_default();
                if !object.contains_key(name) {
                    errors.push(format!("{at}: required {name} is missing"));
                }
            }
            for (name, sub) in properties.into_iter().flatten() {
                match object.get(name) {
                    Some(v) => self.check(sub, v, &format!("{at}.{name}"), strict, errors),
                    None if strict => errors.push(format!("{at}: {name} is missing")),
                    None => {}
                }
            }
            if let Some(extra) = schema.get("additionalProperties").filter(|s| s.is_object()) {
                for (name, v) in object {
                    if properties.is_none_or(|p| !p.contains_key(name)) {
                        self.check(extra, v, &format!("{at}.{name}"), strict, errors);
                    }
                }
            }
        }
        if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
            for (i, v) in array.iter().enumerate() {
                self.check(items, v, &format!("{at}[{i}]"), strict, errors);
            }
        }
    }
}

#[test]
fn the_validator_refuses_what_the_schema_does_not_allow() {
    let spec = Spec::load();
    let summary = serde_json::json!({"$ref": "#/definitions/MessagesSummary"});
    let good = serde_json::json!({"messages": [], "messages_count": 0, "start": 0,
        "tags": ["a"], "total": 1, "unread": 0.0});
    spec.validate(&summary, &good, true).unwrap();
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("tags");
    assert!(
        spec.validate(&summary, &missing, true)
            .unwrap_err()
            .contains("tags is missing")
    );
    spec.validate(&summary, &missing, false).unwrap();
    let mut wrong = good.clone();
    wrong["start"] = serde_json::json!(1.5);
    assert!(
        spec.validate(&summary, &wrong, false)
            .unwrap_err()
            .contains("expected integer")
    );
    wrong = good.clone();
    wrong["tags"] = serde_json::json!([1]);
    assert!(
        spec.validate(&summary, &wrong, false)
            .unwrap_err()
            .contains("$.tags[0]")
    );
    let message = serde_json::json!({"$ref": "#/definitions/Message"});
    let bad_date = serde_json::json!({"Date": "yesterday"});
    assert!(
        spec.validate(&message, &bad_date, false)
            .unwrap_err()
            .contains("RFC 3339")
    );
    let headers = serde_json::json!({"$ref": "#/definitions/MessageHeadersResponse"});
    assert!(
        spec.validate(&headers, &serde_json::json!({"To": "x"}), true)
            .is_err()
    );
    let triggers = serde_json::json!({"$ref": "#/definitions/Triggers"});
    let no_code = serde_json::json!({"Sender": {"Probability": 5}});
    assert!(
        spec.validate(&triggers, &no_code, false)
            .unwrap_err()
            .contains("ErrorCode")
    );
    assert_eq!(spec.operations().len(), 25);
}
