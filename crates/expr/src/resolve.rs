//! Resolution: syntax tree + one request's placeholders → resolved AST.
//!
//! Everything that depends on placeholder *values* is checked here rather than in the
//! parser (whose output is cached by text): undefined placeholders, operand types of
//! constants, BETWEEN bounds, path overlaps (names resolve first: `#a.b` and `a` overlap
//! when `#a` is `a`).

use shoal_types::AttributeValue;

use crate::condition::{Condition, Function, Operand};
use crate::error::{ExprKind, Result};
use crate::path::{check_disjoint, Path, PathElement};
use crate::projection::Projection;
use crate::syntax::{
    CallSyntax, ClauseSyntax, CompareOp, ConditionSyntax, ElementSyntax, NameSyntax, OperandSyntax,
    PathSyntax, ProjectionSyntax, SetValueSyntax, UpdateSyntax,
};
use crate::update::{SetValue, Update, UpdateOperand};
use crate::values::{
    compare_values, describe, is_orderable, type_code, type_long_name, TYPE_CODES,
};

/// The placeholder tables of one request.
#[derive(Debug, Default)]
pub(crate) struct Placeholders {
    pub names: Table<String>,
    pub values: Table<AttributeValue>,
}

/// One placeholder table: entries sorted by placeholder, unique, each marked once an
/// expression uses it.
///
/// A request has a handful of placeholders: a binary search of a sorted vector finds one
/// without hashing it, and marking it used needs no copy of its name, where hash tables
/// of names and of used names cost about 3k instructions per UpdateItem.
#[derive(Debug)]
pub(crate) struct Table<V> {
    entries: Vec<(String, V, bool)>,
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Table {
            entries: Vec::new(),
        }
    }
}

impl<V> Table<V> {
    /// A table of `entries` (in any order). A placeholder given twice keeps its last value.
    pub fn new(entries: impl IntoIterator<Item = (String, V)>) -> Self {
        let mut entries: Vec<(String, V, bool)> =
            entries.into_iter().map(|(k, v)| (k, v, false)).collect();
        // Stable, so the last of equal placeholders ends last and survives the dedup.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.reverse();
        entries.dedup_by(|later, kept| later.0 == kept.0);
        entries.reverse();
        Table { entries }
    }

    /// The value of `key`, marking it used.
    pub fn use_entry(&mut self, key: &str) -> Option<&V> {
        let i = self
            .entries
            .binary_search_by(|e| e.0.as_str().cmp(key))
            .ok()?;
        let entry = self.entries.get_mut(i)?;
        entry.2 = true;
        Some(&entry.1)
    }

    /// The placeholders no expression used, in sorted order.
    pub fn unused(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().filter(|e| !e.2).map(|e| e.0.as_str())
    }
}

/// Resolves trees of one expression kind (which names the expression in messages).
pub(crate) struct Resolver<'p> {
    pub ph: &'p mut Placeholders,
    pub kind: ExprKind,
}

impl Resolver<'_> {
    fn operand_type_error(&self, op: &str, v: &AttributeValue) -> crate::Error {
        self.kind.invalid(format!(
            "Incorrect operand type for operator or function; operator or function: {op}, operand type: {}",
            type_code(v)
        ))
    }

    pub fn name(&mut self, n: &NameSyntax) -> Result<String> {
        match n {
            NameSyntax::Ident(s) => Ok(s.clone()),
            NameSyntax::Placeholder(p) => {
                let Some(name) = self.ph.names.use_entry(p) else {
                    return Err(self.kind.invalid(format!(
                        "An expression attribute name used in the document path is not defined; attribute name: {p}"
                    )));
                };
                Ok(name.clone())
            }
        }
    }

    pub fn path(&mut self, p: &PathSyntax) -> Result<Path> {
        let mut out = Vec::with_capacity(p.elements.len());
        for e in &p.elements {
            out.push(match e {
                ElementSyntax::Name(n) => PathElement::Key(self.name(n)?),
                ElementSyntax::Index(i) => PathElement::Index(*i as usize),
            });
        }
        // The parser guarantees a leading name; keep the invariant checked anyway.
        Path::new(out).ok_or_else(|| self.kind.invalid("Invalid document path"))
    }

    pub fn value(&mut self, v: &str) -> Result<AttributeValue> {
        let Some(value) = self.ph.values.use_entry(v) else {
            return Err(self.kind.invalid(format!(
                "An expression attribute value used in expression is not defined; attribute value: {v}"
            )));
        };
        Ok(value.clone())
    }

    // ---- conditions ----

    fn operand(&mut self, o: &OperandSyntax) -> Result<Operand> {
        match o {
            OperandSyntax::Path(p) => Ok(Operand::Path(self.path(p)?)),
            OperandSyntax::Value(v) => Ok(Operand::Value(self.value(v)?)),
            OperandSyntax::Call(c) => match (c.name.as_str(), c.args.as_slice()) {
                ("size", [OperandSyntax::Path(p)]) => Ok(Operand::Size(self.path(p)?)),
                _ => Err(self.kind.invalid(format!(
                    "The function is not allowed to be used this way in an expression; function: {}",
                    c.name
                ))),
            },
        }
    }

    /// Constants under an ordering operator must be S, N or B.
    fn check_orderable(&self, op: &str, o: &Operand) -> Result<()> {
        match o {
            Operand::Value(v) if !is_orderable(v) => Err(self.operand_type_error(op, v)),
            _ => Ok(()),
        }
    }

    /// DynamoDB rejects `a = a`, `a BETWEEN a AND :x`, `a IN (:x, a)`: the first operand
    /// may not reappear among the others.
    fn check_distinct(&self, op: &str, first: &Operand, rest: &[&Operand]) -> Result<()> {
        if let Operand::Path(p) = first {
            if rest.iter().any(|o| matches!(o, Operand::Path(q) if q == p)) {
                return Err(self.kind.invalid(format!(
                    "The first operand must be distinct from the remaining operands for this operator or function; operator: {op}, first operand: {p}"
                )));
            }
        }
        Ok(())
    }

    pub fn condition(&mut self, c: &ConditionSyntax) -> Result<Condition> {
        Ok(match c {
            ConditionSyntax::Or(xs) => Condition::Or(
                xs.iter()
                    .map(|x| self.condition(x))
                    .collect::<Result<_>>()?,
            ),
            ConditionSyntax::And(xs) => Condition::And(
                xs.iter()
                    .map(|x| self.condition(x))
                    .collect::<Result<_>>()?,
            ),
            ConditionSyntax::Not(c) => Condition::Not(Box::new(self.condition(c)?)),
            ConditionSyntax::Compare(op, l, r) => {
                let l = self.operand(l)?;
                let r = self.operand(r)?;
                if !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                    self.check_orderable(op.symbol(), &l)?;
                    self.check_orderable(op.symbol(), &r)?;
                }
                self.check_distinct(op.symbol(), &l, &[&r])?;
                Condition::Compare(*op, l, r)
            }
            ConditionSyntax::Between(v, lo, hi) => {
                let v = self.operand(v)?;
                let lo = self.operand(lo)?;
                let hi = self.operand(hi)?;
                for o in [&v, &lo, &hi] {
                    self.check_orderable("BETWEEN", o)?;
                }
                if let (Operand::Value(a), Operand::Value(b)) = (&lo, &hi) {
                    self.check_between_bounds(a, b)?;
                }
                self.check_distinct("BETWEEN", &v, &[&lo, &hi])?;
                Condition::Between(v, lo, hi)
            }
            ConditionSyntax::In(v, list) => {
                let v = self.operand(v)?;
                let list: Vec<Operand> = list
                    .iter()
                    .map(|o| self.operand(o))
                    .collect::<Result<_>>()?;
                self.check_distinct("IN", &v, &list.iter().collect::<Vec<_>>())?;
                Condition::In(v, list)
            }
            ConditionSyntax::Call(call) => Condition::Function(self.function(call)?),
        })
    }

    pub fn check_between_bounds(&self, lo: &AttributeValue, hi: &AttributeValue) -> Result<()> {
        match compare_values(lo, hi) {
            None => Err(self.kind.invalid(format!(
                "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: {}, upper bound operand: {}",
                describe(lo),
                describe(hi)
            ))),
            Some(o) if o.is_gt() => Err(self.kind.invalid(format!(
                "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower operand: {}, upper operand: {}",
                describe(lo),
                describe(hi)
            ))),
            Some(_) => Ok(()),
        }
    }

    fn function(&mut self, call: &CallSyntax) -> Result<Function> {
        let name = call.name.as_str();
        let path_arg = |r: &mut Self| match call.args.first() {
            Some(OperandSyntax::Path(p)) => r.path(p),
            _ => Err(r.kind.invalid(format!(
                "Operator or function requires a document path; operator or function: {name}"
            ))),
        };
        let second = |r: &mut Self| {
            match call.args.get(1) {
            Some(o) => r.operand(o),
            None => Err(r.kind.invalid(format!(
                "Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {}",
                call.args.len()
            ))),
        }
        };
        match name {
            "attribute_exists" => Ok(Function::AttributeExists(path_arg(self)?)),
            "attribute_not_exists" => Ok(Function::AttributeNotExists(path_arg(self)?)),
            "attribute_type" => {
                let p = path_arg(self)?;
                match second(self)? {
                    Operand::Value(AttributeValue::S(t)) => {
                        if TYPE_CODES.contains(&t.as_str()) {
                            Ok(Function::AttributeType(p, t))
                        } else {
                            Err(self.kind.invalid(format!(
                                "Invalid attribute type name found; type: {t}, valid types: {{ B,NULL,SS,BOOL,L,BS,N,NS,S,M }}"
                            )))
                        }
                    }
                    Operand::Value(v) => Err(self.operand_type_error(name, &v)),
                    _ => Err(self.kind.invalid(format!(
                        "Incorrect operand type for operator or function; operator or function: {name}, operand type: M"
                    ))),
                }
            }
            "begins_with" | "contains" => {
                let a = match call.args.first() {
                    Some(o) => self.operand(o)?,
                    None => {
                        return Err(self
                            .kind
                            .invalid(format!("Invalid function name; function: {name}")))
                    }
                };
                let b = second(self)?;
                if name == "begins_with" {
                    for o in [&a, &b] {
                        if let Operand::Value(v) = o {
                            if !matches!(v, AttributeValue::S(_) | AttributeValue::B(_)) {
                                return Err(self.operand_type_error(name, v));
                            }
                        }
                    }
                    Ok(Function::BeginsWith(a, b))
                } else {
                    Ok(Function::Contains(a, b))
                }
            }
            _ => Err(self
                .kind
                .invalid(format!("Invalid function name; function: {name}"))),
        }
    }

    // ---- updates ----

    fn update_operand(&mut self, o: &OperandSyntax) -> Result<UpdateOperand> {
        match o {
            OperandSyntax::Path(p) => Ok(UpdateOperand::Path(self.path(p)?)),
            OperandSyntax::Value(v) => Ok(UpdateOperand::Value(self.value(v)?)),
            OperandSyntax::Call(c) => match (c.name.as_str(), c.args.as_slice()) {
                ("if_not_exists", [OperandSyntax::Path(p), d]) => {
                    let p = self.path(p)?;
                    Ok(UpdateOperand::IfNotExists(
                        p,
                        Box::new(self.update_operand(d)?),
                    ))
                }
                ("list_append", [a, b]) => {
                    let a = self.update_operand(a)?;
                    let b = self.update_operand(b)?;
                    for o in [&a, &b] {
                        if let UpdateOperand::Value(v) = o {
                            if !matches!(v, AttributeValue::L(_)) {
                                return Err(self.operand_type_error("list_append", v));
                            }
                        }
                    }
                    Ok(UpdateOperand::ListAppend(Box::new(a), Box::new(b)))
                }
                (name, _) => Err(self
                    .kind
                    .invalid(format!("Invalid function name; function: {name}"))),
            },
        }
    }

    fn arithmetic(
        &mut self,
        op: &str,
        a: &OperandSyntax,
        b: &OperandSyntax,
    ) -> Result<[UpdateOperand; 2]> {
        let a = self.update_operand(a)?;
        let b = self.update_operand(b)?;
        for o in [&a, &b] {
            if let UpdateOperand::Value(v) = o {
                if !matches!(v, AttributeValue::N(_)) {
                    return Err(self.operand_type_error(op, v));
                }
            }
        }
        Ok([a, b])
    }

    fn add_delete_value(&mut self, op: &str, v: &str) -> Result<AttributeValue> {
        let value = self.value(v)?;
        let ok = match op {
            "ADD" => matches!(
                value,
                AttributeValue::N(_)
                    | AttributeValue::Ss(_)
                    | AttributeValue::Ns(_)
                    | AttributeValue::Bs(_)
            ),
            _ => matches!(
                value,
                AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_)
            ),
        };
        if !ok {
            return Err(self.kind.invalid(format!(
                "Incorrect operand type for operator or function; operator: {op}, operand type: {}",
                type_long_name(&value)
            )));
        }
        Ok(value)
    }

    pub fn update(&mut self, u: &UpdateSyntax) -> Result<Update> {
        let mut out = Update::default();
        for clause in &u.clauses {
            match clause {
                ClauseSyntax::Set(actions) => {
                    for (p, v) in actions {
                        let path = self.path(p)?;
                        let value = match v {
                            SetValueSyntax::Operand(o) => {
                                SetValue::Operand(self.update_operand(o)?)
                            }
                            SetValueSyntax::Plus(a, b) => {
                                let [a, b] = self.arithmetic("+", a, b)?;
                                SetValue::Plus(a, b)
                            }
                            SetValueSyntax::Minus(a, b) => {
                                let [a, b] = self.arithmetic("-", a, b)?;
                                SetValue::Minus(a, b)
                            }
                        };
                        out.set.push((path, value));
                    }
                }
                ClauseSyntax::Remove(paths) => {
                    for p in paths {
                        let p = self.path(p)?;
                        out.remove.push(p);
                    }
                }
                ClauseSyntax::Add(actions) => {
                    for (p, v) in actions {
                        let p = self.path(p)?;
                        out.add.push((p, self.add_delete_value("ADD", v)?));
                    }
                }
                ClauseSyntax::Delete(actions) => {
                    for (p, v) in actions {
                        let p = self.path(p)?;
                        out.delete.push((p, self.add_delete_value("DELETE", v)?));
                    }
                }
            }
        }
        check_disjoint(&out.target_paths(), self.kind)?;
        Ok(out)
    }

    // ---- projections ----

    pub fn projection(&mut self, p: &ProjectionSyntax) -> Result<Projection> {
        let paths = p
            .paths
            .iter()
            .map(|p| self.path(p))
            .collect::<Result<Vec<_>>>()?;
        check_disjoint(&paths.iter().collect::<Vec<_>>(), self.kind)?;
        Ok(Projection { paths })
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn a_table_finds_marks_and_lists_what_is_left_in_order() {
        let mut t = Table::new(
            [(":c", 3), (":a", 1), (":b", 2), (":a", 10)].map(|(k, v)| (k.to_string(), v)),
        );
        assert_eq!(
            t.use_entry(":a"),
            Some(&10),
            "the last of a repeated placeholder"
        );
        assert_eq!(t.use_entry(":z"), None);
        assert_eq!(t.unused().collect::<Vec<_>>(), [":b", ":c"]);
        assert_eq!(t.use_entry(":c"), Some(&3));
        assert_eq!(t.use_entry(":c"), Some(&3), "used twice");
        assert_eq!(t.unused().collect::<Vec<_>>(), [":b"]);
    }
}
