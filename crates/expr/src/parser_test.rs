use super::*;
use crate::syntax::ConditionSyntax as C;

fn cond(s: &str) -> Result<ConditionSyntax> {
    parse_condition(s, ExprKind::Condition)
}

fn err(r: Result<impl std::fmt::Debug>) -> String {
    match r {
        Err(Error::Validation(m)) => m,
        Ok(v) => panic!("expected an error, got {v:?}"),
    }
}

fn path(name: &str) -> OperandSyntax {
    OperandSyntax::Path(PathSyntax {
        elements: vec![ElementSyntax::Name(NameSyntax::Ident(name.into()))],
    })
}

fn val(v: &str) -> OperandSyntax {
    OperandSyntax::Value(v.into())
}

#[test]
fn precedence_or_and_not() {
    // a OR b AND NOT c  ==  a OR (b AND (NOT c))
    let c = cond("a = :a OR b = :b AND NOT c = :c").unwrap();
    let a = C::Compare(CompareOp::Eq, path("a"), val(":a"));
    let b = C::Compare(CompareOp::Eq, path("b"), val(":b"));
    let cc = C::Compare(CompareOp::Eq, path("c"), val(":c"));
    let expected = C::Or(vec![a, C::And(vec![b, C::Not(Box::new(cc))])]);
    assert_eq!(c, expected);
    assert_eq!(c.to_string(), "a = :a OR b = :b AND NOT c = :c");
}

#[test]
fn parentheses_group_and_print_back() {
    let c = cond("(a = :a OR b = :b) AND c = :c").unwrap();
    assert!(matches!(c, C::And(..)));
    assert_eq!(c.to_string(), "(a = :a OR b = :b) AND c = :c");
    let c = cond("a = :a AND (b = :b AND c = :c)").unwrap();
    assert_eq!(cond(&c.to_string()).unwrap(), c);
}

#[test]
fn keywords_are_case_insensitive() {
    let c = cond("a between :a and :b or not attribute_exists(b)").unwrap();
    assert!(matches!(c, C::Or(..)));
    assert!(matches!(cond("a in (:a, :b)").unwrap(), C::In(_, ref l) if l.len() == 2));
}

#[test]
fn paths() {
    let c = cond("a.#b[3].c = :v").unwrap();
    let C::Compare(_, OperandSyntax::Path(p), _) = c else {
        panic!()
    };
    assert_eq!(p.to_string(), "a.#b[3].c");
    assert_eq!(p.elements.len(), 4);
    assert!(matches!(p.elements[2], ElementSyntax::Index(3)));
}

#[test]
fn empty_and_too_long() {
    assert_eq!(
        err(cond("")),
        "Invalid ConditionExpression: The expression can not be empty;"
    );
    assert_eq!(
        err(cond("   ")),
        "Invalid ConditionExpression: The expression can not be empty;"
    );
    assert_eq!(
        err(parse_update("")),
        "Invalid UpdateExpression: The expression can not be empty;"
    );
    let long = format!("a = :v{}", " ".repeat(4096));
    assert_eq!(
        err(cond(&long)),
        format!(
            "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: {}",
            long.len()
        )
    );
}

#[test]
fn syntax_errors() {
    assert_eq!(
        err(cond("a = :v AND")),
        "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\""
    );
    assert_eq!(
        err(cond("a == :v")),
        "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"== :v\""
    );
    assert_eq!(
        err(cond("my-attr = :v")),
        "Invalid ConditionExpression: Syntax error; token: \"-\", near: \"my-attr\""
    );
    assert_eq!(
        err(cond("a")),
        "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"a\""
    );
    assert_eq!(
        err(cond("a = :v extra")),
        "Invalid ConditionExpression: Syntax error; token: \"extra\", near: \":v extra\""
    );
    assert!(err(cond("a[x] = :v")).contains("Syntax error; token: \"x\""));
    assert!(err(cond("a = 5")).contains("Syntax error; token: \"5\""));
    assert!(err(cond("a = # ")).contains("Syntax error; token: \"#\""));
}

#[test]
fn reserved_words() {
    assert_eq!(
        err(cond("status = :v")),
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"
    );
    assert_eq!(
        err(cond("a.Data = :v")),
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Data"
    );
    assert_eq!(
        err(parse_update("SET year = :v")),
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: year"
    );
    assert_eq!(
        err(parse_projection("a, name")),
        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name"
    );
    assert_eq!(
        err(parse_condition("key = :v", ExprKind::KeyCondition)),
        "Invalid KeyConditionExpression: Attribute name is a reserved keyword; reserved keyword: key"
    );
}

#[test]
fn redundant_parentheses() {
    assert!(cond("(a = :v)").is_ok());
    assert_eq!(
        err(cond("((a = :v))")),
        "Invalid ConditionExpression: The expression has redundant parentheses;"
    );
    assert!(cond("((a = :v) AND b = :w)").is_ok());
}

#[test]
fn function_checks() {
    assert_eq!(
        err(cond("foo(a)")),
        "Invalid ConditionExpression: Invalid function name; function: foo"
    );
    assert_eq!(
        err(cond("size(a)")),
        "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size"
    );
    assert_eq!(
        err(cond("attribute_exists(a) = :v")),
        "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists"
    );
    assert_eq!(
        err(cond("begins_with(a)")),
        "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"
    );
    assert_eq!(
        err(cond("attribute_exists(:v)")),
        "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists"
    );
    assert_eq!(
        err(cond("size(:v) > :w")),
        "Invalid ConditionExpression: Operator or function requires a document path; operator or function: size"
    );
    assert!(cond("size(a.b) > :w").is_ok());
    assert!(cond("size(a) BETWEEN :a AND :b").is_ok());
    assert_eq!(
        err(parse_update("SET a = size(b)")),
        "Invalid UpdateExpression: Invalid function name; function: size"
    );
    assert_eq!(
        err(cond("if_not_exists(a, :v) = :v")),
        "Invalid ConditionExpression: Invalid function name; function: if_not_exists"
    );
}

#[test]
fn in_operand_limit() {
    let list = (0..100)
        .map(|i| format!(":v{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    assert!(cond(&format!("a IN ({list})")).is_ok());
    let list = (0..101)
        .map(|i| format!(":v{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    assert_eq!(
        err(cond(&format!("a IN ({list})"))),
        "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101"
    );
}

#[test]
fn operator_limit() {
    let ok = vec!["a = :v"; 150].join(" AND "); // 150 '=' + 149 AND = 299
    assert!(cond(&ok).is_ok());
    let too_many = vec!["a = :v"; 151].join(" AND ");
    assert!(err(cond(&too_many)).contains("too many operators"));
}

#[test]
fn deep_nesting_is_bounded() {
    let deep = format!("{}a = :v{}", "(".repeat(2000), ")".repeat(2000));
    assert!(cond(&deep).is_err());
    let nots = format!("{}a = :v", "NOT ".repeat(1000));
    assert!(cond(&nots).is_err());
    let calls = format!(
        "SET a = {}:v{}",
        "list_append(".repeat(500),
        ", :v)".repeat(500)
    );
    assert!(parse_update(&calls).is_err());
    let path = format!("a{}", "[0]".repeat(40));
    assert_eq!(
        err(parse_projection(&path)),
        "Invalid ProjectionExpression: The document path has too many nesting levels; nesting levels: 33"
    );
}

#[test]
fn update_clauses() {
    let u = parse_update("set a = :v, b = b + :n remove c, d[2] ADD e :n DELETE f :s").unwrap();
    assert_eq!(u.clauses.len(), 4);
    assert_eq!(
        u.to_string(),
        "SET a = :v, b = b + :n REMOVE c, d[2] ADD e :n DELETE f :s"
    );
    assert_eq!(
        err(parse_update("SET a = :v SET b = :v")),
        "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;"
    );
    assert_eq!(
        err(parse_update("REMOVE a remove b")),
        "Invalid UpdateExpression: The \"REMOVE\" section can only be used once in an update expression;"
    );
    assert!(err(parse_update("SET")).contains("token: \"<EOF>\""));
    assert!(err(parse_update("SET a = :v,")).contains("token: \"<EOF>\""));
    assert!(err(parse_update("ADD a b")).contains("Syntax error; token: \"b\""));
    assert!(err(parse_update("a = :v")).contains("Syntax error; token: \"a\""));
    let u = parse_update("SET l = list_append(if_not_exists(l, :empty), :new)").unwrap();
    assert_eq!(
        u.to_string(),
        "SET l = list_append(if_not_exists(l, :empty), :new)"
    );
    assert_eq!(
        err(parse_update("SET a = if_not_exists(:v, :w)")),
        "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists"
    );
}

#[test]
fn projection() {
    let p = parse_projection("a, b.c, #d[1]").unwrap();
    assert_eq!(p.paths.len(), 3);
    assert_eq!(p.to_string(), "a, b.c, #d[1]");
    assert!(err(parse_projection("a,")).contains("token: \"<EOF>\""));
}

#[test]
fn worst_case_inputs_fit_a_small_stack() {
    // The deepest accepted trees (MAX_NESTING levels of parentheses/NOT, the longest
    // AND chain, 90 nested calls) must parse, print, resolve, evaluate and drop within
    // 1 MiB even in unoptimized builds: half the 2 MiB default of std and tokio threads.
    let run = || {
        let nested = format!("{}a = :v{}", "(NOT ".repeat(50), ")".repeat(50));
        let chain = vec!["a = :v"; 150].join(" AND ");
        let calls = format!(
            "SET a = {}:v{}",
            "list_append(".repeat(90),
            ", :v)".repeat(90)
        );
        let values = serde_json::json!({":v": {"L": []}});
        for text in [&nested, &chain] {
            let tree = cond(text).unwrap();
            assert_eq!(cond(&tree.to_string()).unwrap(), tree);
            let mut ctx = crate::ExpressionContext::new(None, Some(&values)).unwrap();
            let c = ctx.parse_condition(text).unwrap();
            c.evaluate(None).unwrap();
        }
        let mut ctx = crate::ExpressionContext::new(None, Some(&values)).unwrap();
        let u = ctx.parse_update(&calls).unwrap();
        u.apply(&mut Default::default()).unwrap();
    };
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
}
