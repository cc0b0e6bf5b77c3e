//! One walk over two JSON documents, for every place that says where they differ: the
//! read-back check after a write (the first difference), the plan's "differs at" fields, and
//! the tests' comparisons.

use serde_json::Value;

/// One step of a path: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// One place where `b` differs from `a`.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference<'a> {
    pub path: Vec<Step>,
    /// The value at `path` in `a` (`None`: the key is not there).
    pub a: Option<&'a Value>,
    /// The value at `path` in `b` (`None`: the key is not there).
    pub b: Option<&'a Value>,
}

impl Difference<'_> {
    /// `root.request.headers[0]`.
    pub fn dotted(&self, root: &str) -> String {
        let mut s = root.to_string();
        for step in &self.path {
            match step {
                Step::Key(k) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(k);
                }
                Step::Index(i) => s.push_str(&format!("[{i}]")),
            }
        }
        s
    }

    /// `/request/headers/0` (JSON-pointer-like, unescaped).
    pub fn pointer(&self) -> String {
        self.path
            .iter()
            .map(|step| match step {
                Step::Key(k) => format!("/{k}"),
                Step::Index(i) => format!("/{i}"),
            })
            .collect()
    }
}

/// Every leaf where `b` differs from `a`: objects key by key (`a`'s keys in order, then the
/// keys only `b` has), arrays of the same length item by item, anything else as a whole.
pub fn differences<'a>(a: &'a Value, b: &'a Value) -> Vec<Difference<'a>> {
    fn walk<'a>(a: &'a Value, b: &'a Value, path: &mut Vec<Step>, out: &mut Vec<Difference<'a>>) {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for (k, va) in x {
                    path.push(Step::Key(k.clone()));
                    match y.get(k) {
                        Some(vb) => walk(va, vb, path, out),
                        None => out.push(Difference {
                            path: path.clone(),
                            a: Some(va),
                            b: None,
                        }),
                    }
                    path.pop();
                }
                for (k, vb) in y {
                    if !x.contains_key(k) {
                        let mut p = path.clone();
                        p.push(Step::Key(k.clone()));
                        out.push(Difference {
                            path: p,
                            a: None,
                            b: Some(vb),
                        });
                    }
                }
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                    path.push(Step::Index(i));
                    walk(va, vb, path, out);
                    path.pop();
                }
            }
            _ if a != b => out.push(Difference {
                path: path.clone(),
                a: Some(a),
                b: Some(b),
            }),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(a, b, &mut Vec::new(), &mut out);
    out
}

/// The object keys under which two documents differ, coarsely: an absent key counts as
/// `null`, and an array that differs counts as a whole. Sorted, without repeats.
pub fn differing_keys(a: &Value, b: &Value) -> Vec<Vec<String>> {
    let null = Value::Null;
    let mut out: Vec<Vec<String>> = differences(a, b)
        .into_iter()
        .filter(|d| d.a.unwrap_or(&null) != d.b.unwrap_or(&null))
        .map(|d| {
            d.path
                .into_iter()
                .map_while(|step| match step {
                    Step::Key(k) => Some(k),
                    Step::Index(_) => None,
                })
                .collect()
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_changed_missing_and_appeared_leaves_in_order() {
        let a = json!({"x": 1, "gone": true, "arr": [1, {"k": 2}], "same": "s"});
        let b = json!({"x": 2, "arr": [1, {"k": 3}], "same": "s", "new": null});
        let d = differences(&a, &b);
        let dotted: Vec<String> = d.iter().map(|d| d.dotted("config")).collect();
        assert_eq!(
            dotted,
            ["config.x", "config.gone", "config.arr[1].k", "config.new"]
        );
        assert_eq!(d[1].b, None);
        assert_eq!(d[3].a, None);
        assert_eq!(d[2].pointer(), "/arr/1/k");
    }

    #[test]
    fn arrays_of_other_lengths_differ_as_a_whole() {
        let (a, b) = (json!({"a": [1]}), json!({"a": [1, 2]}));
        let d = differences(&a, &b);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].dotted(""), "a");
    }

    #[test]
    fn differing_keys_treats_absent_as_null_and_arrays_whole() {
        let a = json!({"z": 1, "n": null, "arr": [1, 2], "o": {"b": 1, "a": 1}});
        let b = json!({"z": 1, "arr": [1, 3], "o": {"a": 2, "b": 2}, "m": null});
        assert_eq!(
            differing_keys(&a, &b),
            vec![
                vec!["arr".to_string()],
                vec!["o".into(), "a".into()],
                vec!["o".into(), "b".into()],
            ]
        );
    }
}
