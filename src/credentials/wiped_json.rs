//! JSON documents that carry secrets (STS, metadata-service and credentials-URI answers,
//! `~/.aliyun/config.json`): parsed into a [`serde_json::Value`] whose strings are zeroed when
//! it is dropped. serde_json's own `Value` frees its strings as they are.

use std::ops::Deref;

use serde_json::Value;
use zeroize::Zeroize;

/// A parsed document, wiped on drop. Read it through `Deref`.
pub struct WipedJson(Value);

impl WipedJson {
    pub fn from_slice(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body).map(WipedJson)
    }

    pub fn from_str(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text).map(WipedJson)
    }
}

impl Deref for WipedJson {
    type Target = Value;

    fn deref(&self) -> &Value {
        &self.0
    }
}

impl WipedJson {
    /// Zeros every string value (keys are field names, not secrets). Iterative: documents are
    /// input, and their depth is only bounded by serde_json's recursion limit.
    fn wipe(&mut self) {
        let mut stack: Vec<&mut Value> = vec![&mut self.0];
        while let Some(v) = stack.pop() {
            match v {
                Value::String(s) => s.zeroize(),
                Value::Array(items) => stack.extend(items.iter_mut()),
                Value::Object(map) => stack.extend(map.values_mut()),
                _ => {}
            }
        }
    }
}

impl Drop for WipedJson {
    fn drop(&mut self) {
        self.wipe();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_at_any_depth_are_zeroed() {
        let mut doc =
            WipedJson::from_str(r#"{"a":"s3cret","b":[{"c":"t0ken"}],"n":1,"d":{"e":"x"}}"#)
                .unwrap();
        assert_eq!(doc["b"][0]["c"], "t0ken");
        doc.wipe();
        assert_eq!(doc["a"], "");
        assert_eq!(doc["b"][0]["c"], "");
        assert_eq!(doc["d"]["e"], "");
        assert_eq!(doc["n"], 1);
    }
}
