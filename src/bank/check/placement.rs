//! Blueprint placement: an item's domain and objective against the blueprint, and a question checked as a whole.

use super::*;
use crate::bank::model::Question;
use crate::bank::yaml::Node;

impl Checker<'_> {
    /// Domain and objective against the blueprint; `domain` is the effective domain (own or case study's).
    pub(super) fn check_blueprint_refs(
        &self,
        cx: &mut ItemCx<'_>,
        raw: &RawItem,
        case_domain: Option<&str>,
    ) {
        let Some(bp) = self.blueprint else { return };
        let mut domain_ok = None;
        if let Some(d) = &raw.domain {
            if bp.domain(d).is_some() {
                domain_ok = Some(d.as_str());
            } else {
                let ids: Vec<&str> = bp.domains.iter().map(|d| d.id.as_str()).collect();
                cx.report(
                    &[key("domain")],
                    format!(
                        "unknown domain `{d}`: blueprint `{}` has {}",
                        bp.id,
                        list(&ids)
                    ),
                );
            }
        } else if let Some(d) = case_domain {
            domain_ok = bp.domain(d).map(|_| d);
        }
        if let Some(o) = &raw.objective {
            let owner = bp
                .domains
                .iter()
                .find(|d| d.objectives.iter().any(|x| &x.id == o));
            match (owner, domain_ok) {
                (None, Some(d)) => {
                    let ids: Vec<&str> = bp
                        .domain(d)
                        .map(|d| d.objectives.iter().map(|o| o.id.as_str()).collect())
                        .unwrap_or_default();
                    cx.report(
                        &[key("objective")],
                        format!("unknown objective `{o}`: domain `{d}` has {}", list(&ids)),
                    );
                }
                (None, None) => cx.report(
                    &[key("objective")],
                    format!(
                        "unknown objective `{o}`: it is in no domain of blueprint `{}`",
                        bp.id
                    ),
                ),
                (Some(owner), Some(d)) if owner.id != d => cx.report(
                    &[key("objective")],
                    format!(
                        "objective `{o}` belongs to domain `{}`, not to `{d}`",
                        owner.id
                    ),
                ),
                _ => {}
            }
        }
    }

    pub(super) fn check_question(
        &mut self,
        file: &str,
        node: &Node,
        kind: Option<Kind>,
        case_domain: Option<&str>,
    ) -> Option<Question> {
        let item = node.get("id").and_then(Node::as_str).map(str::to_owned);
        let mut problems = Vec::new();
        let mut cx = ItemCx {
            file,
            node,
            item: item.clone(),
            problems: &mut problems,
            broken: false,
        };
        let raw = self.read_fields(&mut cx, kind, case_domain.is_some());
        if let Some(id) = &raw.id {
            self.register_id(&mut cx, id);
        }
        self.check_blueprint_refs(&mut cx, &raw, case_domain);
        check_common(&mut cx, &raw);
        if let Some(kind) = kind {
            check_body(&mut cx, &raw, kind);
        }
        let broken = cx.broken;
        self.problems.append(&mut problems);
        if broken {
            return None;
        }
        typed_question(raw, kind?)
    }
}
