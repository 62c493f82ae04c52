//! Recursive-descent parser for every expression kind, producing [`crate::syntax`] trees.
//!
//! Precedence, loosest first: `OR`, `AND`, `NOT`, then comparisons / `BETWEEN` / `IN`,
//! then function calls and parentheses. Recursion happens only through parentheses,
//! `NOT` and nested calls, and each level is counted against [`MAX_NESTING`], so no input
//! can exhaust the stack; `AND`/`OR` chains are loops. Operators are counted against
//! [`MAX_OPERATORS`] as they are consumed, so parsing stops early on huge inputs.

use std::collections::HashSet;

use crate::error::{ExprKind, Result};
use crate::lexer::{tokenize, Tok, Token};
use crate::reserved::is_reserved_word;
use crate::syntax::{
    CallSyntax, ClauseSyntax, CompareOp, ConditionSyntax, ElementSyntax, NameSyntax, OperandSyntax,
    PathSyntax, ProjectionSyntax, SetValueSyntax, UpdateSyntax,
};
use crate::MAX_PATH_DEPTH;
use crate::{Error, MAX_EXPRESSION_SIZE, MAX_IN_OPERANDS, MAX_NESTING, MAX_OPERATORS};

/// Parses a ConditionExpression, FilterExpression or KeyConditionExpression; `kind`
/// only picks the name used in error messages.
pub fn parse_condition(text: &str, kind: ExprKind) -> Result<ConditionSyntax> {
    let mut p = Parser::new(text, kind)?;
    let c = p.parse_or()?;
    p.expect_eof()?;
    Ok(c)
}

/// Parses an UpdateExpression.
pub fn parse_update(text: &str) -> Result<UpdateSyntax> {
    let mut p = Parser::new(text, ExprKind::Update)?;
    p.parse_update()
}

/// Parses a ProjectionExpression.
pub fn parse_projection(text: &str) -> Result<ProjectionSyntax> {
    let mut p = Parser::new(text, ExprKind::Projection)?;
    let mut paths = vec![p.parse_path()?];
    while p.peek() == Tok::Comma {
        p.bump();
        paths.push(p.parse_path()?);
    }
    p.expect_eof()?;
    Ok(ProjectionSyntax { paths })
}

/// Where a function call appears; decides which functions are allowed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CallUse {
    /// As a whole condition: `attribute_exists(a)`.
    Condition,
    /// As a value in a condition: `size(a) > :v`.
    ConditionOperand,
    /// As a value in a SET action.
    UpdateOperand,
}

const UPDATE_KEYWORDS: [&str; 4] = ["SET", "REMOVE", "ADD", "DELETE"];
const CONDITION_KEYWORDS: [&str; 5] = ["AND", "OR", "NOT", "BETWEEN", "IN"];

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token<'a>>,
    pos: usize,
    kind: ExprKind,
    operators: usize,
    depth: usize,
    /// Token spans `(open, close)` of parenthesized conditions, to spot `((c))`.
    paren_spans: HashSet<(usize, usize)>,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, kind: ExprKind) -> Result<Self> {
        if src.len() > MAX_EXPRESSION_SIZE {
            return Err(kind.invalid(format!(
                "Expression size has exceeded the maximum allowed size; expression size: {}",
                src.len()
            )));
        }
        if src.trim().is_empty() {
            return Err(kind.invalid("The expression can not be empty;"));
        }
        Ok(Parser {
            src,
            toks: tokenize(src),
            pos: 0,
            kind,
            operators: 0,
            depth: 0,
            paren_spans: HashSet::new(),
        })
    }

    fn token(&self, i: usize) -> Token<'a> {
        self.toks.get(i).copied().unwrap_or(Token {
            tok: Tok::Eof,
            start: self.src.len(),
            end: self.src.len(),
        })
    }

    fn peek(&self) -> Tok<'a> {
        self.token(self.pos).tok
    }

    fn bump(&mut self) {
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
    }

    /// Whether the current token is the keyword `kw` (keywords are case-insensitive).
    fn at_keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Ident(w) if w.eq_ignore_ascii_case(kw))
    }

    /// DynamoDB's syntax error for the current token: the token, and the text from the
    /// previous token through the next one as context.
    fn syntax_error(&self) -> Error {
        let i = self.pos;
        let cur = self.token(i);
        let token = match cur.tok {
            Tok::Eof => "<EOF>",
            _ => self.src.get(cur.start..cur.end).unwrap_or(""),
        };
        let start = if i > 0 {
            self.token(i - 1).start
        } else {
            cur.start
        };
        let next = self.token(i + 1);
        let end = if cur.tok != Tok::Eof && next.tok != Tok::Eof {
            next.end
        } else {
            cur.end
        };
        let near = self.src.get(start..end).unwrap_or("").trim_end();
        self.kind.invalid(format!(
            "Syntax error; token: \"{token}\", near: \"{near}\""
        ))
    }

    fn expect(&mut self, tok: Tok<'_>) -> Result<()> {
        if self.peek() == tok {
            self.bump();
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    fn expect_eof(&self) -> Result<()> {
        if self.peek() == Tok::Eof {
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    fn count_operator(&mut self) -> Result<()> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return Err(self.kind.invalid(format!(
                "The expression contains too many operators; operator count: {}",
                self.operators
            )));
        }
        Ok(())
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.kind.invalid(format!(
                "The expression has too many nested levels; nesting levels: {}",
                self.depth
            )));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ---- conditions ----

    fn parse_or(&mut self) -> Result<ConditionSyntax> {
        let mut xs = vec![self.parse_and()?];
        while self.at_keyword("OR") {
            self.bump();
            self.count_operator()?;
            xs.push(self.parse_and()?);
        }
        Ok(match xs.pop() {
            Some(only) if xs.is_empty() => only,
            Some(last) => {
                xs.push(last);
                ConditionSyntax::Or(xs)
            }
            None => return Err(self.syntax_error()),
        })
    }

    fn parse_and(&mut self) -> Result<ConditionSyntax> {
        let mut xs = vec![self.parse_not()?];
        while self.at_keyword("AND") {
            self.bump();
            self.count_operator()?;
            xs.push(self.parse_not()?);
        }
        Ok(match xs.pop() {
            Some(only) if xs.is_empty() => only,
            Some(last) => {
                xs.push(last);
                ConditionSyntax::And(xs)
            }
            None => return Err(self.syntax_error()),
        })
    }

    fn parse_not(&mut self) -> Result<ConditionSyntax> {
        if !self.at_keyword("NOT") {
            return self.parse_primary();
        }
        self.bump();
        self.count_operator()?;
        self.enter()?;
        let inner = self.parse_not()?;
        self.leave();
        Ok(ConditionSyntax::Not(Box::new(inner)))
    }

    fn parse_primary(&mut self) -> Result<ConditionSyntax> {
        if self.peek() == Tok::LParen {
            let open = self.pos;
            self.bump();
            self.enter()?;
            let inner = self.parse_or()?;
            self.leave();
            self.expect(Tok::RParen)?;
            let close = self.pos - 1;
            if self.paren_spans.contains(&(open + 1, close - 1)) {
                return Err(self
                    .kind
                    .invalid("The expression has redundant parentheses;"));
            }
            self.paren_spans.insert((open, close));
            return Ok(inner);
        }
        let left = self.parse_operand()?;
        let op = match self.peek() {
            Tok::Eq => Some(CompareOp::Eq),
            Tok::Ne => Some(CompareOp::Ne),
            Tok::Lt => Some(CompareOp::Lt),
            Tok::Le => Some(CompareOp::Le),
            Tok::Gt => Some(CompareOp::Gt),
            Tok::Ge => Some(CompareOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.bump();
            self.count_operator()?;
            let right = self.parse_operand()?;
            self.check_operand_call(&left, CallUse::ConditionOperand)?;
            self.check_operand_call(&right, CallUse::ConditionOperand)?;
            return Ok(ConditionSyntax::Compare(op, left, right));
        }
        if self.at_keyword("BETWEEN") {
            self.bump();
            self.count_operator()?;
            let lo = self.parse_operand()?;
            if !self.at_keyword("AND") {
                return Err(self.syntax_error());
            }
            self.bump();
            let hi = self.parse_operand()?;
            for o in [&left, &lo, &hi] {
                self.check_operand_call(o, CallUse::ConditionOperand)?;
            }
            return Ok(ConditionSyntax::Between(left, lo, hi));
        }
        if self.at_keyword("IN") {
            self.bump();
            self.count_operator()?;
            self.expect(Tok::LParen)?;
            let mut list = vec![self.parse_operand()?];
            while self.peek() == Tok::Comma {
                self.bump();
                list.push(self.parse_operand()?);
                if list.len() > MAX_IN_OPERANDS {
                    return Err(self.kind.invalid(format!(
                        "The IN operator is provided with too many operands; number of operands: {}",
                        list.len()
                    )));
                }
            }
            self.expect(Tok::RParen)?;
            self.check_operand_call(&left, CallUse::ConditionOperand)?;
            for o in &list {
                self.check_operand_call(o, CallUse::ConditionOperand)?;
            }
            return Ok(ConditionSyntax::In(left, list));
        }
        match left {
            OperandSyntax::Call(call) => {
                self.check_call(&call, CallUse::Condition)?;
                Ok(ConditionSyntax::Call(call))
            }
            _ => Err(self.syntax_error()),
        }
    }

    fn check_operand_call(&self, o: &OperandSyntax, usage: CallUse) -> Result<()> {
        match o {
            OperandSyntax::Call(c) => self.check_call(c, usage),
            _ => Ok(()),
        }
    }

    /// Checks a call's name, arity, use and arguments for where it appears.
    fn check_call(&self, call: &CallSyntax, usage: CallUse) -> Result<()> {
        let name = call.name.as_str();
        // (arity, boolean?, first argument must be a path?)
        let spec = match (usage, name) {
            (CallUse::UpdateOperand, "if_not_exists") => Some((2, false, true)),
            (CallUse::UpdateOperand, "list_append") => Some((2, false, false)),
            (CallUse::UpdateOperand, _) => None,
            (_, "attribute_exists" | "attribute_not_exists") => Some((1, true, true)),
            (_, "attribute_type") => Some((2, true, true)),
            (_, "begins_with" | "contains") => Some((2, true, false)),
            (_, "size") => Some((1, false, true)),
            _ => None,
        };
        let Some((arity, boolean, needs_path)) = spec else {
            return Err(self
                .kind
                .invalid(format!("Invalid function name; function: {name}")));
        };
        if call.args.len() != arity {
            return Err(self.kind.invalid(format!(
                "Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {}",
                call.args.len()
            )));
        }
        if boolean != (usage == CallUse::Condition) {
            return Err(self.kind.invalid(format!(
                "The function is not allowed to be used this way in an expression; function: {name}"
            )));
        }
        if needs_path && !matches!(call.args.first(), Some(OperandSyntax::Path(_))) {
            return Err(self.kind.invalid(format!(
                "Operator or function requires a document path; operator or function: {name}"
            )));
        }
        for arg in &call.args {
            if let OperandSyntax::Call(inner) = arg {
                match usage {
                    CallUse::UpdateOperand => self.check_call(inner, usage)?,
                    // Condition functions take paths and values only.
                    _ => {
                        return Err(self.kind.invalid(format!(
                            "The function is not allowed to be used this way in an expression; function: {}",
                            inner.name
                        )))
                    }
                }
            }
        }
        Ok(())
    }

    // ---- operands and paths ----

    fn parse_operand(&mut self) -> Result<OperandSyntax> {
        match self.peek() {
            Tok::ValuePh(v) => {
                self.bump();
                Ok(OperandSyntax::Value(v.to_owned()))
            }
            Tok::Ident(name) if self.token(self.pos + 1).tok == Tok::LParen => {
                self.bump();
                self.bump();
                self.count_operator()?;
                self.enter()?;
                let mut args = Vec::new();
                if self.peek() != Tok::RParen {
                    args.push(self.parse_operand()?);
                    while self.peek() == Tok::Comma {
                        self.bump();
                        args.push(self.parse_operand()?);
                    }
                }
                self.expect(Tok::RParen)?;
                self.leave();
                Ok(OperandSyntax::Call(CallSyntax {
                    name: name.to_owned(),
                    args,
                }))
            }
            Tok::Ident(_) | Tok::NamePh(_) => Ok(OperandSyntax::Path(self.parse_path()?)),
            _ => Err(self.syntax_error()),
        }
    }

    /// A path name: a bare word (not a grammar keyword, not reserved) or `#placeholder`.
    fn parse_name(&mut self) -> Result<NameSyntax> {
        match self.peek() {
            Tok::NamePh(n) => {
                self.bump();
                Ok(NameSyntax::Placeholder(n.to_owned()))
            }
            Tok::Ident(w) => {
                let grammar_keyword = CONDITION_KEYWORDS
                    .iter()
                    .chain(UPDATE_KEYWORDS.iter())
                    .any(|k| w.eq_ignore_ascii_case(k));
                if grammar_keyword || w.starts_with(|c: char| c.is_ascii_digit()) {
                    return Err(self.syntax_error());
                }
                if is_reserved_word(w) {
                    return Err(self.kind.invalid(format!(
                        "Attribute name is a reserved keyword; reserved keyword: {w}"
                    )));
                }
                self.bump();
                Ok(NameSyntax::Ident(w.to_owned()))
            }
            _ => Err(self.syntax_error()),
        }
    }

    fn parse_path(&mut self) -> Result<PathSyntax> {
        let mut elements = vec![ElementSyntax::Name(self.parse_name()?)];
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.bump();
                    elements.push(ElementSyntax::Name(self.parse_name()?));
                }
                Tok::LBracket => {
                    self.bump();
                    let Tok::Int(digits) = self.peek() else {
                        return Err(self.syntax_error());
                    };
                    let index = digits.parse::<u32>().map_err(|_| self.syntax_error())?;
                    self.bump();
                    self.expect(Tok::RBracket)?;
                    elements.push(ElementSyntax::Index(index));
                }
                _ => break,
            }
            if elements.len() > MAX_PATH_DEPTH {
                return Err(self.kind.invalid(format!(
                    "The document path has too many nesting levels; nesting levels: {}",
                    elements.len()
                )));
            }
        }
        Ok(PathSyntax { elements })
    }

    // ---- updates ----

    fn parse_update(&mut self) -> Result<UpdateSyntax> {
        let mut clauses = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        while self.peek() != Tok::Eof {
            let Some(kw) = UPDATE_KEYWORDS.iter().copied().find(|k| self.at_keyword(k)) else {
                return Err(self.syntax_error());
            };
            if seen.contains(&kw) {
                return Err(self.kind.invalid(format!(
                    "The \"{kw}\" section can only be used once in an update expression;"
                )));
            }
            seen.push(kw);
            self.bump();
            let clause = match kw {
                "SET" => {
                    let mut actions = vec![self.parse_set_action()?];
                    while self.peek() == Tok::Comma {
                        self.bump();
                        actions.push(self.parse_set_action()?);
                    }
                    ClauseSyntax::Set(actions)
                }
                "REMOVE" => {
                    let mut paths = vec![self.parse_path()?];
                    while self.peek() == Tok::Comma {
                        self.bump();
                        paths.push(self.parse_path()?);
                    }
                    ClauseSyntax::Remove(paths)
                }
                _ => {
                    let mut actions = vec![self.parse_value_action()?];
                    while self.peek() == Tok::Comma {
                        self.bump();
                        actions.push(self.parse_value_action()?);
                    }
                    if kw == "ADD" {
                        ClauseSyntax::Add(actions)
                    } else {
                        ClauseSyntax::Delete(actions)
                    }
                }
            };
            clauses.push(clause);
        }
        Ok(UpdateSyntax { clauses })
    }

    fn parse_set_action(&mut self) -> Result<(PathSyntax, SetValueSyntax)> {
        let path = self.parse_path()?;
        self.expect(Tok::Eq)?;
        let left = self.parse_operand()?;
        self.check_operand_call(&left, CallUse::UpdateOperand)?;
        let plus = match self.peek() {
            Tok::Plus => true,
            Tok::Minus => false,
            _ => return Ok((path, SetValueSyntax::Operand(left))),
        };
        self.bump();
        self.count_operator()?;
        let right = self.parse_operand()?;
        self.check_operand_call(&right, CallUse::UpdateOperand)?;
        let value = if plus {
            SetValueSyntax::Plus(left, right)
        } else {
            SetValueSyntax::Minus(left, right)
        };
        Ok((path, value))
    }

    fn parse_value_action(&mut self) -> Result<(PathSyntax, String)> {
        let path = self.parse_path()?;
        match self.peek() {
            Tok::ValuePh(v) => {
                self.bump();
                Ok((path, v.to_owned()))
            }
            _ => Err(self.syntax_error()),
        }
    }
}

#[cfg(test)]
#[path = "parser_test.rs"]
mod tests;
