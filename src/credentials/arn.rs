//! RAM role ARNs, checked when a role source is built: `acs:ram::<account id>:role/<role
//! name>`. Anything else would only fail later, at every refresh, as an STS error.

/// Why `arn` is not a RAM role ARN, or Ok. The message never quotes the value.
pub fn check_role_arn(arn: &str) -> Result<(), String> {
    const FORM: &str = "role_arn must be acs:ram::<account id>:role/<role name>, such as \
                        acs:ram::123456789012:role/oss-reader";
    let fail = |why: &str| Err(format!("{FORM} ({why})"));
    let prefix = "acs:ram::";
    let Some(rest) = arn
        .get(..prefix.len())
        .filter(|p| p.eq_ignore_ascii_case(prefix))
        .map(|_| &arn[prefix.len()..])
    else {
        return fail("it does not start with acs:ram::");
    };
    let Some((account, resource)) = rest.split_once(':') else {
        return fail("no :role/ after the account id");
    };
    if account.is_empty() || !account.bytes().all(|b| b.is_ascii_digit()) {
        return fail("the account id must be digits");
    }
    let Some(name) = resource
        .get(..5)
        .filter(|r| r.eq_ignore_ascii_case("role/"))
        .map(|_| &resource[5..])
    else {
        return fail("no :role/ after the account id");
    };
    // RAM role names: 1 to 64 letters, digits, periods, hyphens (and underscores).
    if name.is_empty() || name.len() > 64 {
        return fail("the role name must be 1 to 64 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    {
        return fail("the role name may hold only letters, digits, '.', '-' and '_'");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns() {
        for ok in [
            "acs:ram::1:role/r",
            "acs:ram::1234567890123456:role/oss-reader",
            "ACS:RAM::123:ROLE/Upper.Case_name-1",
        ] {
            assert_eq!(check_role_arn(ok), Ok(()), "{ok}");
        }
        let long = format!("acs:ram::1:role/{}", "x".repeat(65));
        for (bad, why) in [
            ("", "does not start with acs:ram::"),
            ("oss-reader", "does not start with acs:ram::"),
            ("arn:aws:iam::1:role/r", "does not start with acs:ram::"),
            ("acs:ram::1", "no :role/"),
            ("acs:ram::1:user/r", "no :role/"),
            ("acs:ram:::role/r", "account id must be digits"),
            ("acs:ram::12ab:role/r", "account id must be digits"),
            ("acs:ram::1:role/", "1 to 64 characters"),
            (long.as_str(), "1 to 64 characters"),
            ("acs:ram::1:role/a/b", "only letters"),
            ("acs:ram::1:role/r\n", "only letters"),
            ("acs:ram::1:role/r é", "only letters"),
        ] {
            let e = check_role_arn(bad).unwrap_err();
            assert!(e.starts_with("role_arn must be acs:ram::<account id>:role/<role name>"));
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }
}
