//! Where a tensor sits in a layered model, read from its name: in
//! `model.layers.7.self_attn.q_proj.weight` the block is `model.layers.7.` (layer 7) and the
//! kind is `self_attn.q_proj`. The first numbered path segment after the first one opens the
//! block (`blk.7.attn_q.weight`, `encoder.layer.7.attention.self.query.weight`,
//! `/encoder/7/conv/weight`); names without one (embeddings, the final norm, `lm_head`) have no
//! block. Path separators are `.` and `/`.

use std::collections::HashMap;

/// A tensor's block, layer number and kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place<'a> {
    /// The name up to and including the layer number and the separator after it.
    pub block: &'a str,
    pub layer: usize,
    /// The rest of the name without a final `weight` segment (`self_attn.q_proj`,
    /// `self_attn.q_proj.bias`).
    pub kind: &'a str,
}

fn is_separator(c: char) -> bool {
    c == '.' || c == '/'
}

/// The place of tensor `name`, if it is inside a numbered block.
pub fn place(name: &str) -> Option<Place<'_>> {
    let mut start = 0;
    let mut first = true;
    for (end, _) in name.char_indices().filter(|&(_, c)| is_separator(c)) {
        let segment = &name[start..end];
        let numbered = !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit());
        if numbered && !first && end + 1 < name.len() {
            let layer = segment.parse().ok()?;
            let rest = &name[end + 1..];
            let kind = rest
                .strip_suffix("weight")
                .and_then(|k| k.strip_suffix(is_separator))
                .filter(|k| !k.is_empty())
                .unwrap_or(rest);
            return Some(Place {
                block: &name[..=end],
                layer,
                kind,
            });
        }
        if !segment.is_empty() {
            first = false;
        }
        start = end + 1;
    }
    None
}

/// Tensors grouped by block in the order given: each block where its first tensor is, with
/// every tensor of the block after it; tensors outside blocks keep their place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Group {
    Block { block: String, members: Vec<usize> },
    Single(usize),
}

/// Group `order` (indices into `names`) by block.
pub fn group_by_block<'a>(names: impl Fn(usize) -> &'a str, order: &[usize]) -> Vec<Group> {
    let mut groups = Vec::new();
    let mut at: HashMap<&'a str, usize> = HashMap::new();
    for &i in order {
        match place(names(i)) {
            Some(p) => {
                if let Some(&g) = at.get(p.block) {
                    if let Group::Block { members, .. } = &mut groups[g] {
                        members.push(i);
                    }
                } else {
                    at.insert(p.block, groups.len());
                    groups.push(Group::Block {
                        block: p.block.to_owned(),
                        members: vec![i],
                    });
                }
            }
            None => groups.push(Group::Single(i)),
        }
    }
    groups
}

/// Tensors laid out by kind (rows) and block (columns), for a heat map of the layers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LayerGrid {
    /// Blocks in order of first appearance.
    pub blocks: Vec<String>,
    /// Kinds in order of first appearance.
    pub kinds: Vec<String>,
    /// The item at (kind `k`, block `b`): `cells[k * blocks.len() + b]`.
    pub cells: Vec<Option<usize>>,
}

impl LayerGrid {
    /// Lay out `items` (an index of the caller's and a tensor name); names outside blocks are
    /// left out, and of two items in one cell the first stays.
    pub fn of<'a>(items: impl IntoIterator<Item = (usize, &'a str)>) -> Self {
        let mut placed = Vec::new();
        let (mut blocks, mut kinds) = (Vec::<String>::new(), Vec::<String>::new());
        let position = |list: &mut Vec<String>, s: &str| {
            if let Some(p) = list.iter().position(|x| x == s) {
                p
            } else {
                list.push(s.to_owned());
                list.len() - 1
            }
        };
        for (item, name) in items {
            if let Some(p) = place(name) {
                placed.push((
                    item,
                    position(&mut blocks, p.block),
                    position(&mut kinds, p.kind),
                ));
            }
        }
        let mut cells = vec![None; blocks.len() * kinds.len()];
        for (item, b, k) in placed {
            cells[k * blocks.len() + b].get_or_insert(item);
        }
        Self {
            blocks,
            kinds,
            cells,
        }
    }

    pub fn at(&self, kind: usize, block: usize) -> Option<usize> {
        self.cells
            .get(kind * self.blocks.len() + block)
            .copied()
            .flatten()
    }

    /// Column labels: the layer number when every block has the same name apart from it
    /// (`model.layers.N.`), else the whole block name.
    pub fn block_labels(&self) -> Vec<String> {
        let template = |b: &str| b.replace(|c: char| c.is_ascii_digit(), "");
        let same = self
            .blocks
            .windows(2)
            .all(|w| template(&w[0]) == template(&w[1]));
        self.blocks
            .iter()
            .map(|b| match place(&format!("{b}x")) {
                Some(p) if same => p.layer.to_string(),
                _ => b.clone(),
            })
            .collect()
    }

    /// Row labels: the shortest ending of each kind (whole path segments) that no other kind
    /// shares (`self_attn.q_proj` → `q_proj`; `attention.output.dense` stays whole beside
    /// `output.dense`).
    pub fn kind_labels(&self) -> Vec<String> {
        let endings = |k: &str| -> Vec<usize> {
            let mut cuts: Vec<usize> = k
                .char_indices()
                .filter(|&(_, c)| is_separator(c))
                .map(|(i, _)| i + 1)
                .collect();
            cuts.reverse();
            cuts.push(0);
            cuts
        };
        self.kinds
            .iter()
            .map(|k| {
                endings(k)
                    .into_iter()
                    .map(|cut| &k[cut..])
                    .find(|end| {
                        self.kinds
                            .iter()
                            .filter(|o| {
                                *o == end
                                    || o.ends_with(&format!(".{end}"))
                                    || o.ends_with(&format!("/{end}"))
                            })
                            .count()
                            == 1
                    })
                    .unwrap_or(k)
                    .to_owned()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_of_common_layouts() {
        let p = place("model.layers.17.self_attn.q_proj.weight").unwrap();
        assert_eq!(
            (p.block, p.layer, p.kind),
            ("model.layers.17.", 17, "self_attn.q_proj")
        );
        let p = place("blk.3.attn_q.weight").unwrap();
        assert_eq!((p.block, p.layer, p.kind), ("blk.3.", 3, "attn_q"));
        let p = place("encoder.layer.0.attention.self.query.bias").unwrap();
        assert_eq!(p.kind, "attention.self.query.bias");
        let p = place("/encoder/2/conv/weight").unwrap();
        assert_eq!((p.block, p.kind), ("/encoder/2/", "conv"));
        let p = place("features.0.weight").unwrap();
        assert_eq!((p.block, p.kind), ("features.0.", "weight"));
        for name in [
            "lm_head.weight",
            "model.norm.weight",
            "0.weight",
            "layers.3",
            "w",
        ] {
            assert_eq!(place(name), None, "{name}");
        }
    }

    #[test]
    fn a_grid_of_kinds_by_layer_with_short_labels() {
        let names = [
            "model.embed_tokens.weight",
            "model.layers.0.self_attn.q_proj.weight",
            "model.layers.0.mlp.down_proj.weight",
            "model.layers.1.self_attn.q_proj.weight",
            "model.layers.1.mlp.down_proj.weight",
            "lm_head.weight",
        ];
        let g = LayerGrid::of(names.iter().copied().enumerate());
        assert_eq!(g.blocks, ["model.layers.0.", "model.layers.1."]);
        assert_eq!(g.kind_labels(), ["q_proj", "down_proj"]);
        assert_eq!(g.block_labels(), ["0", "1"]);
        assert_eq!((g.at(0, 1), g.at(1, 0)), (Some(3), Some(2)));
        let bert = LayerGrid::of(
            [
                "encoder.layer.0.attention.output.dense.weight",
                "encoder.layer.0.output.dense.weight",
                "encoder.layer.0.intermediate.dense.weight",
                "decoder.layer.0.output.dense.weight",
            ]
            .into_iter()
            .enumerate(),
        );
        assert_eq!(
            bert.kind_labels(),
            [
                "attention.output.dense",
                "output.dense",
                "intermediate.dense"
            ]
        );
        assert_eq!(
            bert.block_labels(),
            ["encoder.layer.0.", "decoder.layer.0."]
        );
    }

    #[test]
    fn blocks_gather_their_tensors_where_the_first_one_is() {
        let names = [
            "embed.weight",
            "layers.0.q.weight",
            "layers.1.q.weight",
            "layers.0.k.weight",
            "norm.weight",
            "layers.1.k.weight",
        ];
        let order: Vec<usize> = (0..names.len()).collect();
        let groups = group_by_block(|i| names[i], &order);
        assert_eq!(
            groups,
            vec![
                Group::Single(0),
                Group::Block {
                    block: "layers.0.".into(),
                    members: vec![1, 3]
                },
                Group::Block {
                    block: "layers.1.".into(),
                    members: vec![2, 5]
                },
                Group::Single(4),
            ]
        );
    }
}
