//! The notebook's computation with shapegrad: reading its two input files, computing every
//! answer key exactly as the notebook's loops define it, and writing the answer file.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use nalgebra::{Matrix2x4, Matrix4x3, SMatrix, Vector2, Vector3, Vector4};
use shapegrad::{Scalar, Tape, Tensor};

use crate::json::{self, Json, NdArray};

/// One entry of `inputs1.json`: `{"x": [x1, x2], "w": [b1, b2, c1, c2]}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry1 {
    pub(crate) x: [f64; 2],
    pub(crate) w: [f64; 4],
}

/// One entry of `inputs2.json`: the two-layer net's input and parameters, shapes checked.
/// `x` holds the input's columns (one for the unbatched form `x (3,)`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry2 {
    pub(crate) x: Vec<Vector3<f64>>,
    pub(crate) batched: bool,
    pub(crate) w1: Matrix4x3<f64>,
    pub(crate) w2: Matrix2x4<f64>,
    pub(crate) b1: Vector4<f64>,
    pub(crate) b2: Vector2<f64>,
}

/// The answer keys, in the notebook's order.
pub(crate) const KEYS: [&str; 9] = [
    "init",
    "sum",
    "diff",
    "mul",
    "div",
    "neg",
    "exp",
    "graph",
    "two_layer_net",
];

/// The entries of an input file's top-level list, naming the file in errors.
fn parse_list<'a>(file: &str, doc: &'a Json) -> Result<&'a [Json], String> {
    doc.as_array().ok_or_else(|| {
        format!(
            "{file}: expected a list of entries at the top level, found {}",
            doc.kind()
        )
    })
}

/// The value under `key` of entry `i`, or an error naming file, entry and key.
fn field<'a>(file: &str, i: usize, entry: &'a Json, key: &str) -> Result<&'a Json, String> {
    match entry {
        Json::Object(_) => entry
            .get(key)
            .ok_or_else(|| format!("{file}: entry {i}: missing key \"{key}\"")),
        other => Err(format!(
            "{file}: entry {i}: expected an object, found {}",
            other.kind()
        )),
    }
}

/// `N` numbers from a plain list or a 1-d ndarray of length `N`.
fn numbers<const N: usize>(
    file: &str,
    i: usize,
    entry: &Json,
    key: &str,
) -> Result<[f64; N], String> {
    let v = field(file, i, entry, key)?;
    let at = |e: String| format!("{file}: entry {i}, key \"{key}\": {e}");
    let array = json::to_ndarray(v).map_err(at)?;
    if array.shape != [N] {
        return Err(at(format!(
            "expected {N} numbers (shape [{N}]), found shape {:?}",
            array.shape
        )));
    }
    let mut out = [0.0; N];
    out.copy_from_slice(&array.data);
    Ok(out)
}

/// Reads `inputs1.json` from its text; `file` names it in errors.
pub(crate) fn parse_inputs1(file: &str, text: &str) -> Result<Vec<Entry1>, String> {
    let doc = json::parse(text).map_err(|e| format!("{file}: not valid JSON: {e}"))?;
    parse_list(file, &doc)?
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            Ok(Entry1 {
                x: numbers::<2>(file, i, entry, "x")?,
                w: numbers::<4>(file, i, entry, "w")?,
            })
        })
        .collect()
}

/// An ndarray under `key` whose shape must be one of `allowed`.
fn array(file: &str, i: usize, entry: &Json, key: &str) -> Result<NdArray, String> {
    let v = field(file, i, entry, key)?;
    json::to_ndarray(v).map_err(|e| format!("{file}: entry {i}, key \"{key}\": {e}"))
}

fn shape_error(file: &str, i: usize, key: &str, expected: &str, found: &[usize]) -> String {
    format!("{file}: entry {i}, key \"{key}\": expected shape {expected}, found {found:?}")
}

/// A row-major array of exactly `R×C` (or the 1-d `[R]` when `vector`) as an `SMatrix`.
fn matrix<const R: usize, const C: usize>(a: &NdArray) -> SMatrix<f64, R, C> {
    SMatrix::from_row_slice(&a.data)
}

/// Reads `inputs2.json` from its text; `file` names it in errors. Accepts x (3,) with
/// b1 (4,), b2 (2,), or x (3, B) for any B ≥ 1 with b1 (4, 1), b2 (2, 1); W1 (4, 3), W2 (2, 4).
pub(crate) fn parse_inputs2(file: &str, text: &str) -> Result<Vec<Entry2>, String> {
    let doc = json::parse(text).map_err(|e| format!("{file}: not valid JSON: {e}"))?;
    let mut out = Vec::new();
    for (i, entry) in parse_list(file, &doc)?.iter().enumerate() {
        let x = array(file, i, entry, "x")?;
        let w1 = array(file, i, entry, "W1")?;
        let w2 = array(file, i, entry, "W2")?;
        let b1 = array(file, i, entry, "b1")?;
        let b2 = array(file, i, entry, "b2")?;
        let batched = match x.shape[..] {
            [3] => false,
            [3, b] if b >= 1 => true,
            _ => {
                return Err(shape_error(
                    file,
                    i,
                    "x",
                    "[3] or [3, B] with B >= 1",
                    &x.shape,
                ));
            }
        };
        if w1.shape != [4, 3] {
            return Err(shape_error(file, i, "W1", "[4, 3]", &w1.shape));
        }
        if w2.shape != [2, 4] {
            return Err(shape_error(file, i, "W2", "[2, 4]", &w2.shape));
        }
        let (b1_shape, b2_shape): (&[usize], &[usize]) = if batched {
            (&[4, 1], &[2, 1])
        } else {
            (&[4], &[2])
        };
        let form = if batched {
            " (x is batched)"
        } else {
            " (x has shape [3])"
        };
        if b1.shape != b1_shape {
            return Err(shape_error(
                file,
                i,
                "b1",
                &format!("{b1_shape:?}{form}"),
                &b1.shape,
            ));
        }
        if b2.shape != b2_shape {
            return Err(shape_error(
                file,
                i,
                "b2",
                &format!("{b2_shape:?}{form}"),
                &b2.shape,
            ));
        }
        let columns = if batched { x.shape[1] } else { 1 };
        let x = (0..columns)
            .map(|j| Vector3::from_fn(|r, _| x.data[r * columns + j]))
            .collect();
        out.push(Entry2 {
            x,
            batched,
            w1: matrix(&w1),
            w2: matrix(&w2),
            b1: Vector4::from_column_slice(&b1.data),
            b2: Vector2::from_column_slice(&b2.data),
        });
    }
    Ok(out)
}

/// The notebook's TEST 8 graph function, with shapegrad's stable `sigmoid` and `tanh`.
pub(crate) fn graph_value<'t, T: Scalar>(
    x: [Tensor<'t, 1, 1, T>; 2],
    w: [Tensor<'t, 1, 1, T>; 4],
) -> Tensor<'t, 1, 1, T> {
    let [x1, x2] = x;
    let [b1, b2, c1, c2] = w;
    let z0 = x1 + b1;
    let z1 = x2 + b2;
    let z2 = z0.sigmoid();
    let z3 = z1.sigmoid();
    let z4 = z3.tanh();
    let z5 = z4 * c2;
    let z6 = z0 * z2;
    let z7 = z6 * c1;
    let z8 = z2 * z5;
    z7 + z8
}

/// Gradients of the two-layer net's loss for one entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NetGrads {
    pub(crate) x: Vec<Vector3<f64>>,
    pub(crate) w1: Matrix4x3<f64>,
    pub(crate) w2: Matrix2x4<f64>,
    pub(crate) b1: Vector4<f64>,
    pub(crate) b2: Vector2<f64>,
}

/// Columns per statically shaped chunk of a batch.
const CHUNK: usize = 8;

/// `Σ σ(W2 σ(W1 X + b1) + b2)` over `B` columns of `X`, recorded on the tape.
fn net_loss<'t, const B: usize>(
    params: (
        Tensor<'t, 4, 3>,
        Tensor<'t, 2, 4>,
        Tensor<'t, 4, 1>,
        Tensor<'t, 2, 1>,
    ),
    x: Tensor<'t, 3, B>,
) -> Tensor<'t, 1, 1> {
    let (w1, w2, b1, b2) = params;
    let h = (w1.matmul(x) + b1.broadcast_cols()).sigmoid();
    (w2.matmul(h) + b2.broadcast_cols()).sigmoid().sum()
}

/// Columns differentiated on one recording: a batch is taken in blocks of this many, each on
/// the same tape (cleared between them), so the tape's memory is bounded whatever the batch
/// size (about 0.8 KB a column recorded, against 16 bytes a column of input text).
pub(crate) const BLOCK: usize = 4096;

/// The gradient of `sum(σ(W2 σ(W1 X + b1) + b2))` over the whole batch, for any number of
/// columns known only at run time: blocks of [`BLOCK`] columns, each recorded as full chunks
/// of [`CHUNK`] columns, then single columns, with the parameters shared within a block, so
/// their gradients sum over it; the blocks' parameter gradients are summed in block order.
/// (A batch of one block, as every shipped sample, is one recording, as in earlier sessions:
/// the same bits.)
pub(crate) fn two_layer_net(e: &Entry2) -> NetGrads {
    let mut tape = Tape::<f64>::new();
    let mut x = Vec::with_capacity(e.x.len());
    let mut total: Option<ParamGrads> = None;
    for block in e.x.chunks(BLOCK) {
        tape.clear();
        let g = block_grads(&tape, e, block, &mut x);
        total = Some(match total {
            None => g,
            Some(t) => (t.0 + g.0, t.1 + g.1, t.2 + g.2, t.3 + g.3),
        });
    }
    let (w1, w2, b1, b2) = total.expect("an entry has at least one column");
    NetGrads { x, w1, w2, b1, b2 }
}

/// The gradients of `W1`, `W2`, `b1`, `b2`.
type ParamGrads = (Matrix4x3<f64>, Matrix2x4<f64>, Vector4<f64>, Vector2<f64>);

/// One block of [`two_layer_net`] on `tape`: appends its columns' gradients to `x` and
/// returns the parameters' gradients over the block.
fn block_grads(
    tape: &Tape<f64>,
    e: &Entry2,
    columns: &[Vector3<f64>],
    x: &mut Vec<Vector3<f64>>,
) -> ParamGrads {
    let params = (
        tape.var(e.w1),
        tape.var(e.w2),
        tape.var(e.b1),
        tape.var(e.b2),
    );
    let full = columns.len() / CHUNK * CHUNK;
    let wide: Vec<Tensor<'_, 3, CHUNK>> = columns[..full]
        .chunks_exact(CHUNK)
        .map(|cols| tape.var_from_fn(|r, c| cols[c][r]))
        .collect();
    let narrow: Vec<Tensor<'_, 3, 1>> = columns[full..].iter().map(|&col| tape.var(col)).collect();
    let losses = wide
        .iter()
        .map(|&x| net_loss(params, x))
        .chain(narrow.iter().map(|&x| net_loss(params, x)));
    let loss = losses
        .reduce(|a, b| a + b)
        .expect("a block has at least one column");
    let grads = loss.backward();
    for &chunk in &wide {
        let g = grads.wrt(chunk);
        x.extend(g.column_iter().map(|c| c.into_owned()));
    }
    x.extend(narrow.iter().map(|&col| grads.wrt(col)));
    (
        grads.wrt(params.0),
        grads.wrt(params.1),
        grads.wrt(params.2),
        grads.wrt(params.3),
    )
}

/// `x.grad` for each scalar cell of the notebook (TEST 1–7) at `x = x1`, `y = x2`.
fn scalar_cells(e: &Entry1) -> [f64; 7] {
    let tape = Tape::<f64>::new();
    let x = tape.var_scalar(e.x[0]);
    let y = tape.var_scalar(e.x[1]);
    let grad = |z: Tensor<'_, 1, 1>| z.backward().wrt(x)[0];
    [
        grad(x),                               // init: x.backward()
        grad(x + y + x + x + x + y),           // sum
        grad(x - y + x + x - y - y),           // diff
        grad((x + y) * (x - y) * (x + x + y)), // mul
        grad(x / (0.5 + y)),                   // div: Node(0.5) + y
        grad(-x),                              // neg
        grad(x.exp()),                         // exp
    ]
}

/// `[x1, x2, b1, b2, c1, c2].grad` of the graph function.
pub(crate) fn graph_grads(e: &Entry1) -> [f64; 6] {
    let tape = Tape::<f64>::new();
    let x = e.x.map(|v| tape.var_scalar(v));
    let w = e.w.map(|v| tape.var_scalar(v));
    let grads = graph_value(x, w).backward();
    let mut out = [0.0; 6];
    for (o, &t) in out.iter_mut().zip(x.iter().chain(&w)) {
        *o = grads.wrt(t)[0];
    }
    out
}

/// Row-major data of a column-major matrix.
fn row_major<const R: usize, const C: usize>(m: &SMatrix<f64, R, C>) -> Vec<f64> {
    m.transpose().as_slice().to_vec()
}

fn net_json(e: &Entry2, g: &NetGrads) -> Json {
    let columns = g.x.len();
    let x_data: Vec<f64> = (0..3)
        .flat_map(|r| g.x.iter().map(move |col| col[r]))
        .collect();
    let (x_shape, b1_shape, b2_shape): (Vec<usize>, &[usize], &[usize]) = if e.batched {
        (vec![3, columns], &[4, 1], &[2, 1])
    } else {
        (vec![3], &[4], &[2])
    };
    Json::Array(vec![
        json::ndarray_json(&x_shape, x_data),
        json::ndarray_json(&[4, 3], row_major(&g.w1)),
        json::ndarray_json(&[2, 4], row_major(&g.w2)),
        json::ndarray_json(b1_shape, g.b1.as_slice()),
        json::ndarray_json(b2_shape, g.b2.as_slice()),
    ])
}

/// The whole answer object, keys in the notebook's order.
pub(crate) fn compute(inputs1: &[Entry1], inputs2: &[Entry2]) -> Json {
    let cells: Vec<[f64; 7]> = inputs1.iter().map(scalar_cells).collect();
    let mut answer: Vec<(String, Json)> = KEYS[..7]
        .iter()
        .enumerate()
        .map(|(k, key)| {
            let column: Vec<f64> = cells.iter().map(|c| c[k]).collect();
            (key.to_string(), json::floats(&[column.len()], column))
        })
        .collect();
    let graph: Vec<f64> = inputs1.iter().flat_map(graph_grads).collect();
    answer.push(("graph".into(), json::floats(&[inputs1.len(), 6], graph)));
    let net = inputs2
        .iter()
        .map(|e| net_json(e, &two_layer_net(e)))
        .collect();
    answer.push(("two_layer_net".into(), Json::Array(net)));
    Json::Object(answer)
}

/// Every non-finite number in `v`, as `(path, value)`.
fn non_finite(v: &Json, path: &mut String, out: &mut Vec<(String, f64)>) {
    match v {
        Json::Float(x) if !x.is_finite() => out.push((path.clone(), *x)),
        Json::Floats(p) => {
            for (i, &x) in p.data.iter().enumerate().filter(|(_, x)| !x.is_finite()) {
                let len = path.len();
                for k in p.index(i) {
                    let _ = write!(path, "[{k}]");
                }
                out.push((path.clone(), x));
                path.truncate(len);
            }
        }
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                let _ = write!(path, "[{i}]");
                non_finite(item, path, out);
                path.truncate(len);
            }
        }
        Json::Object(pairs) => {
            for (k, item) in pairs {
                let len = path.len();
                if k == "__ndarray__" {
                    non_finite(item, path, out);
                } else {
                    let _ = write!(path, "{}{k}", if path.is_empty() { "" } else { "." });
                    non_finite(item, path, out);
                }
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// The non-finite values of an answer, as one line each (`exp[12] = Infinity`).
pub(crate) fn non_finite_report(answer: &Json) -> Vec<String> {
    let mut found = Vec::new();
    non_finite(answer, &mut String::new(), &mut found);
    found
        .into_iter()
        .map(|(p, x)| format!("{p} = {}", json::float_repr(x)))
        .collect()
}

/// A short human summary: per key, how many entries and the first value.
pub(crate) fn summary(answer: &Json) -> String {
    let mut s = String::new();
    if let Json::Object(pairs) = answer {
        for (key, v) in pairs {
            let preview = |f: &Json| match json::prefix(f, 100) {
                (text, true) => format!("{text}…"),
                (text, false) => text,
            };
            let (count, first) = match v {
                Json::Array(items) => (items.len(), items.first().map(preview)),
                Json::Floats(p) => (p.shape[0], Some(preview(&p.first()))),
                _ => continue,
            };
            let first = first.unwrap_or_else(|| "-".to_string());
            let _ = writeln!(s, "{key:>13}: {count:>3} entries, first {first}");
        }
    }
    s
}

/// The largest input file read: 2 GiB (a batched entry of 4·10⁸ floats in compact form).
pub(crate) const MAX_INPUT: u64 = 1 << 31;

/// What a run needs per byte of input at most, measured: 6× for a batch of nested floats
/// (32.6 MB in, 194 MB peak), 3.4× in compact form, 25× for `inputs1`'s small objects (3.7 MB
/// in, 92 MB peak) — so 32, reserved once before reading, so that a machine without that
/// much memory gets an error line instead of an abort halfway.
pub(crate) const MEMORY_PER_INPUT_BYTE: u64 = 32;

/// Reads a whole input file, naming it in the error; refuses one past [`MAX_INPUT`], or one
/// the process cannot hold ([`room_for_input`]).
pub(crate) fn read(path: &Path) -> Result<String, String> {
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let mut file = fs::File::open(path).map_err(cannot)?;
    let len = file.metadata().map_err(cannot)?.len();
    if len > MAX_INPUT {
        return Err(format!(
            "{}: {len} bytes, more than the {MAX_INPUT} this example reads",
            path.display()
        ));
    }
    room_for_input(len).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut text = String::new();
    text.try_reserve_exact(len as usize)
        .map_err(|_| format!("{}: cannot allocate {len} bytes to read it", path.display()))?;
    std::io::Read::read_to_string(&mut file, &mut text).map_err(cannot)?;
    Ok(text)
}

/// Whether the process can allocate what a run on `len` bytes of input needs
/// ([`MEMORY_PER_INPUT_BYTE`] times `len`): one reservation, released at once. Where memory
/// is committed lazily this only proves the address space (a `ulimit -v`, a 32-bit target);
/// it is what turns an allocation failure into an error line.
pub(crate) fn room_for_input(len: u64) -> Result<(), String> {
    let need = len.saturating_mul(MEMORY_PER_INPUT_BYTE);
    let fits = usize::try_from(need)
        .ok()
        .is_some_and(|n| Vec::<u8>::new().try_reserve_exact(n).is_ok());
    if fits {
        Ok(())
    } else {
        Err(format!(
            "cannot allocate the {need} bytes a run on {len} bytes of input needs \
             ({MEMORY_PER_INPUT_BYTE} per byte of input)"
        ))
    }
}
