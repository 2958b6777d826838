//! The flow as a petgraph graph and what it says: questions that cannot be reached, cycles with no exit, questions
//! with no way to a result, results never reached, conditions testing answers not asked on every path; and the
//! longest way left from each node (the step counter's "of N").

use super::*;

/// How the nodes are wired, as the build found it.
pub(super) struct Wiring<'a> {
    pub edges: &'a [(usize, usize)],
    pub start: usize,
    pub ids: &'a HashMap<String, usize>,
    /// Per node: (question ids its conditions test, location of the condition, whether the test is on itself).
    pub condition_uses: &'a [Vec<(String, Location, bool)>],
    /// Questions with a `next` to an unknown id: already reported, so not again as "no way to a result".
    pub broken_goto: &'a HashSet<usize>,
}

/// Builds the graph of `nodes` and reports what is wrong with its shape into `ctx`.
pub(super) fn check_graph(
    ctx: &mut Ctx,
    spec: &FlowSpec,
    nodes: &[Node],
    wiring: &Wiring<'_>,
) -> DiGraph<usize, ()> {
    let Wiring {
        edges,
        start,
        ids,
        condition_uses,
        broken_goto,
    } = *wiring;
    let n_questions = spec.questions.len();
    let mut graph: DiGraph<usize, ()> = DiGraph::new();
    for i in 0..nodes.len() {
        graph.add_node(i);
    }
    for (from, to) in edges {
        graph.update_edge(NodeIndex::new(*from), NodeIndex::new(*to), ());
    }
    let node_line = |i: usize| -> Location {
        let id = if i < n_questions {
            &spec.questions[i].id
        } else {
            &spec.results[i - n_questions].id
        };
        id.referenced
    };
    let node_name = |i: usize| -> String {
        if i < n_questions {
            spec.questions[i].id.value.clone()
        } else {
            spec.results[i - n_questions].id.value.clone()
        }
    };
    let mut reachable = vec![false; nodes.len()];
    let mut bfs = Bfs::new(&graph, NodeIndex::new(start));
    while let Some(n) = bfs.next(&graph) {
        reachable[n.index()] = true;
    }
    let mut reaches_result = vec![false; nodes.len()];
    let reversed = Reversed(&graph);
    for r in n_questions..nodes.len() {
        let mut bfs = Bfs::new(reversed, NodeIndex::new(r));
        while let Some(n) = bfs.next(reversed) {
            reaches_result[n.index()] = true;
        }
    }
    let mut reported = vec![false; nodes.len()];
    for component in tarjan_scc(&graph) {
        let looped = component.len() > 1 || graph.contains_edge(component[0], component[0]);
        if looped && component.iter().all(|n| !reaches_result[n.index()]) {
            let mut names: Vec<String> = component.iter().map(|n| node_name(n.index())).collect();
            names.sort();
            let first = component.iter().map(|n| n.index()).min().unwrap_or(0);
            ctx.error(node_line(first), format!("questions {} form a cycle with no exit; add a rule that leads out of it to a result", names.join(" → ")));
            component.iter().for_each(|n| reported[n.index()] = true);
        }
    }
    for i in 0..n_questions {
        if !reachable[i] {
            ctx.error(node_line(i), format!("question `{}` cannot be reached from the start; link to it from a `next` or remove it", node_name(i)));
        } else if !reaches_result[i] && !reported[i] && !broken_goto.contains(&i) {
            ctx.error(
                node_line(i),
                format!(
                    "question `{}` has no way to a result; give it a `next` that leads to one",
                    node_name(i)
                ),
            );
        }
    }
    for (i, reached) in reachable.iter().enumerate().skip(n_questions) {
        if !reached {
            ctx.warn(
                node_line(i),
                format!(
                    "result `{}` is never reached; link to it or remove it",
                    node_name(i)
                ),
            );
        }
    }
    // A condition may only test answers asked on every path that reaches it.
    let doms = dominators::simple_fast(&graph, NodeIndex::new(start));
    for (i, uses) in condition_uses.iter().enumerate() {
        if !reachable[i] {
            continue;
        }
        let dominating: HashSet<usize> = doms
            .dominators(NodeIndex::new(i))
            .map(|it| it.map(|n| n.index()).collect())
            .unwrap_or_default();
        for (question, at, strict) in uses {
            let Some(&q) = ids.get(question) else {
                continue;
            };
            let asked_before = dominating.contains(&q) && !(*strict && q == i);
            if !asked_before {
                ctx.error(*at, format!("the condition at `{}` tests `{question}`, which is not asked on every path to `{}`; test `{{answered: {question}}}` first or move the condition", node_name(i), node_name(i)));
            }
        }
    }
    graph
}

/// For every node, the most questions (info messages excluded) on any path from it to a result. Edges that close a
/// cycle count nothing, so the figure is finite.
pub(super) fn longest_remaining(nodes: &[Node], graph: &DiGraph<usize, ()>) -> Vec<usize> {
    pub(super) fn visit(
        i: usize,
        nodes: &[Node],
        graph: &DiGraph<usize, ()>,
        memo: &mut Vec<Option<usize>>,
        on_stack: &mut Vec<bool>,
    ) -> usize {
        if let Some(v) = memo[i] {
            return v;
        }
        if on_stack[i] {
            return 0;
        }
        on_stack[i] = true;
        let own = match &nodes[i] {
            Node::Question(q) if q.kind != Kind::Info => 1,
            _ => 0,
        };
        let best = graph
            .neighbors(NodeIndex::new(i))
            .map(|n| visit(n.index(), nodes, graph, memo, on_stack))
            .max()
            .unwrap_or(0);
        on_stack[i] = false;
        memo[i] = Some(own + best);
        own + best
    }
    let mut memo = vec![None; nodes.len()];
    let mut on_stack = vec![false; nodes.len()];
    (0..nodes.len())
        .map(|i| visit(i, nodes, graph, &mut memo, &mut on_stack))
        .collect()
}
