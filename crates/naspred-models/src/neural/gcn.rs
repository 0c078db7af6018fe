//! GCN: NASLib's `GCNPredictor` (`naslib/predictors/gcn.py`, the directed graph convolution
//! neural predictor of Wen et al. 2019).
//!
//! * Input: the `gcn` encoding (op one-hot per node, adjacency, vertex count).
//! * Net: `A' = rownorm(A + I)`; 4 directed graph convolutions of width 144, each
//!   `h = (ReLU(rownorm(A') h W1) + ReLU(rownorm(A'^T) h W2)) / 2` followed by dropout 0.1
//!   (Xavier-uniform `W`); mean pooling (sum over nodes / vertex count); `Linear(144, 128)`,
//!   dropout 0.1, `Linear(128, 1)` (no biases).
//! * Training: z-scored targets, MSE, Adam (lr 1e-4, weight decay 3e-4), cosine annealing over
//!   300 epochs, batch 7 with `drop_last`.
//! * QUIRKs: faithful never zeroes the gradients, ignores `gcn_hidden`, and takes no step when
//!   the training set is smaller than one batch; fixed (default) does all three properly.

use naspred_eval::hpo::{loguniform, HpError, HpSpace, HpSpec, HpoState, Tunable, TunableParams};
use naspred_eval::predictor::{
    ArchInput, Context, Hyperparams, Predictor, PredictorError, PredictorRng, Requirements,
};
use naspred_spaces::{Encoding, EncodingKind, Quirks};
use tch::{Kind, Tensor};

use super::{
    batches, check_train, cosine_lr, encode_all, fit_seed, graphs, mean_std, param,
    single_threaded, to_vec_finite, Adam, FitRng, NeuralError, MAX_COUNT,
};

/// Graph encodings stacked into tensors: node features `(n, N, F)`, adjacency `(n, N, N)`,
/// vertex counts `(n)`.
pub struct GraphBatch {
    /// Node features.
    pub ops: Tensor,
    /// Adjacency (row = source).
    pub adj: Tensor,
    /// Real vertex counts.
    pub numv: Tensor,
}

impl GraphBatch {
    /// Stacks graph encodings.
    pub fn new(encs: &[Encoding]) -> Result<GraphBatch, NeuralError> {
        let gs = graphs(encs)?;
        let (nn, nf) = (gs[0].nodes as i64, gs[0].features as i64);
        let n = gs.len() as i64;
        let mut ops = Vec::with_capacity((n * nn * nf) as usize);
        let mut adj = Vec::with_capacity((n * nn * nn) as usize);
        let mut numv = Vec::with_capacity(n as usize);
        for g in &gs {
            ops.extend_from_slice(&g.node_features);
            adj.extend_from_slice(&g.adjacency);
            numv.push(g.num_vertices.max(1) as f32);
        }
        Ok(GraphBatch {
            ops: Tensor::from_slice(&ops).view([n, nn, nf]),
            adj: Tensor::from_slice(&adj).view([n, nn, nn]),
            numv: Tensor::from_slice(&numv),
        })
    }

    /// Number of graphs.
    pub fn len(&self) -> usize {
        self.numv.size()[0] as usize
    }

    /// Whether there are no graphs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Row-normalises a batch of matrices (`adj / adj.sum(-1)`).
fn rownorm(a: &Tensor) -> Tensor {
    a / a.sum_dim_intlist([-1i64].as_slice(), true, Kind::Float)
}

/// Hyperparameters of the GCN.
#[derive(Clone, Debug, PartialEq)]
pub struct GcnParams {
    /// Width of the graph convolutions (144; ignored by NASLib, see the module QUIRKs).
    pub gcn_hidden: usize,
    /// Minibatch (7, last partial batch dropped).
    pub batch_size: usize,
    /// Adam learning rate (1e-4).
    pub lr: f64,
    /// Adam weight decay (3e-4).
    pub wd: f64,
    /// Epochs (300; also the cosine period).
    pub epochs: usize,
}

impl Default for GcnParams {
    fn default() -> Self {
        GcnParams {
            gcn_hidden: 144,
            batch_size: 7,
            lr: 1e-4,
            wd: 3e-4,
            epochs: 300,
        }
    }
}

impl TunableParams for GcnParams {
    /// `gcn_hidden` and `batch_size` (integers >= 1), `lr` (> 0) and `wd` (>= 0) on log
    /// scales. The epochs are not tuned.
    const SPACE: HpSpace = HpSpace::new(&[
        HpSpec::integer("gcn_hidden", 1.0, MAX_COUNT),
        HpSpec::integer("batch_size", 1.0, MAX_COUNT),
        HpSpec::log_real("lr", 0.0, f64::INFINITY).open_below(),
        HpSpec::log_real("wd", 0.0, f64::INFINITY),
    ]);

    fn to_hyperparams(&self) -> Hyperparams {
        let mut h = Hyperparams::new();
        h.insert("gcn_hidden".into(), self.gcn_hidden as f64);
        h.insert("batch_size".into(), self.batch_size as f64);
        h.insert("lr".into(), self.lr);
        h.insert("wd".into(), self.wd);
        h
    }

    fn with_hyperparams(&self, hp: &Hyperparams) -> Result<Self, HpError> {
        Self::SPACE.validate(hp)?;
        let mut p = self.clone();
        for (k, &v) in hp {
            match k.as_str() {
                "gcn_hidden" => p.gcn_hidden = v as usize,
                "batch_size" => p.batch_size = v as usize,
                "lr" => p.lr = v,
                "wd" => p.wd = v,
                _ => return Err(Self::SPACE.unknown(k)),
            }
        }
        p.validate()?;
        Ok(p)
    }

    /// NASLib's sampler: `gcn_hidden` ~ int(loguniform[64, 200]), `batch_size` ~
    /// int(loguniform[5, 32]), `lr` ~ loguniform[1e-5, 0.1], `wd` ~ loguniform[1e-5, 0.1]
    /// (`int` truncates, as Python's); the epochs are kept.
    fn sample(&self, rng: &mut PredictorRng) -> Self {
        GcnParams {
            gcn_hidden: loguniform(rng, 64.0, 200.0) as usize,
            batch_size: loguniform(rng, 5.0, 32.0) as usize,
            lr: loguniform(rng, 1e-5, 0.1),
            wd: loguniform(rng, 1e-5, 0.1),
            epochs: self.epochs,
        }
    }
}

struct GcnNet {
    layers: Vec<(Tensor, Tensor)>,
    fc1: Tensor,
    fc2: Tensor,
}

impl GcnNet {
    fn new(nfeat: i64, hidden: i64, rng: &mut FitRng) -> Self {
        let layers = (0..4)
            .map(|i| {
                let inp = if i == 0 { nfeat } else { hidden };
                (
                    param(rng.xavier([inp, hidden])),
                    param(rng.xavier([inp, hidden])),
                )
            })
            .collect();
        // nn.Linear's default init: U(±1/sqrt(fan_in)).
        let b1 = 1.0 / (hidden as f64).sqrt();
        let b2 = 1.0 / 128f64.sqrt();
        GcnNet {
            layers,
            fc1: param(rng.uniform(&[128, hidden], -b1, b1)),
            fc2: param(rng.uniform(&[1, 128], -b2, b2)),
        }
    }

    fn params(&self) -> Vec<Tensor> {
        let mut v = Vec::new();
        for (a, b) in &self.layers {
            v.push(a.shallow_clone());
            v.push(b.shallow_clone());
        }
        v.push(self.fc1.shallow_clone());
        v.push(self.fc2.shallow_clone());
        v
    }

    /// `norm`, `inv`: the two normalised adjacencies of the batch.
    fn forward(
        &self,
        ops: &Tensor,
        norm: &Tensor,
        inv: &Tensor,
        numv: &Tensor,
        mut drop: Option<&mut FitRng>,
    ) -> Tensor {
        let mut h = ops.shallow_clone();
        for (w1, w2) in &self.layers {
            let o1 = norm.matmul(&h.matmul(w1)).relu();
            let o2 = inv.matmul(&h.matmul(w2)).relu();
            h = (o1 + o2) * 0.5;
            if let Some(r) = drop.as_deref_mut() {
                h = r.dropout(&h, 0.1);
            }
        }
        let pooled = h.sum_dim_intlist([1i64].as_slice(), false, Kind::Float) / numv.unsqueeze(-1);
        let mut z = pooled.linear::<Tensor>(&self.fc1, None);
        if let Some(r) = drop {
            z = r.dropout(&z, 0.1);
        }
        z.linear::<Tensor>(&self.fc2, None).view([-1])
    }
}

/// The two normalised adjacencies of NASLib's directed GCN for raw adjacencies `(n, N, N)`.
fn gcn_adjacencies(adj: &Tensor) -> (Tensor, Tensor) {
    let nn = adj.size()[1];
    let eye = Tensor::eye(nn, (Kind::Float, tch::Device::Cpu));
    let a = rownorm(&(adj + eye));
    let norm = rownorm(&a);
    let inv = rownorm(&a.transpose(1, 2));
    (norm, inv)
}

/// NASLib's `gcn` predictor.
pub struct GcnPredictor {
    key: String,
    quirks: Quirks,
    hpo: HpoState<GcnParams>,
    fitted: Option<(GcnNet, f64, f64)>,
}

impl Default for GcnPredictor {
    fn default() -> Self {
        GcnPredictor::new(Quirks::Fixed)
    }
}

impl GcnPredictor {
    /// NASLib's configuration with the given QUIRK setting.
    pub fn new(quirks: Quirks) -> Self {
        GcnPredictor {
            key: "gcn".into(),
            quirks,
            hpo: HpoState::default(),
            fitted: None,
        }
    }

    /// Replaces the default configuration (what draws and resets start from; its epochs are
    /// kept by every draw), after validating it.
    ///
    /// # Errors
    /// The configuration's [`HpError`].
    pub fn with_params(mut self, params: GcnParams) -> Result<Self, HpError> {
        self.hpo = HpoState::new(params)?;
        Ok(self)
    }

    /// The current hyperparameters.
    pub fn params(&self) -> &GcnParams {
        self.hpo.current()
    }

    /// Reports under another key (e.g. `gcn_faithful`).
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// Fits with an explicit seed.
    pub fn fit_seeded(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        seed: u64,
    ) -> Result<(), NeuralError> {
        check_train(train.len(), y)?;
        self.params().validate()?;
        let params = self.hpo.current().clone();
        single_threaded();
        self.fitted = None;
        let data = GraphBatch::new(&encode_all(train, EncodingKind::Gcn, self.quirks)?)?;
        let (norm, inv) = gcn_adjacencies(&data.adj);
        let (mean, std) = mean_std(y);
        let yz: Vec<f32> = y.iter().map(|&v| ((v - mean) / std) as f32).collect();
        let yt = Tensor::from_slice(&yz);
        let n = train.len();
        let fixed = self.quirks == Quirks::Fixed;
        let hidden = if fixed { params.gcn_hidden } else { 144 } as i64;
        let batch = if fixed {
            params.batch_size.min(n)
        } else {
            params.batch_size
        };
        let mut rng = FitRng::new(seed);
        let net = GcnNet::new(data.ops.size()[2], hidden, &mut rng);
        let mut opt = Adam::new(net.params(), params.lr, (0.9, 0.999), params.wd);
        for epoch in 0..params.epochs {
            opt.lr = cosine_lr(params.lr, epoch, params.epochs);
            let perm = rng.permutation(n);
            for idx in batches(&perm, batch, true) {
                let idx = Tensor::from_slice(idx);
                if fixed {
                    opt.zero_grad();
                }
                let pred = net.forward(
                    &data.ops.index_select(0, &idx),
                    &norm.index_select(0, &idx),
                    &inv.index_select(0, &idx),
                    &data.numv.index_select(0, &idx),
                    Some(&mut rng),
                );
                let loss = (pred - yt.index_select(0, &idx)).square().mean(Kind::Float);
                loss.backward();
                opt.step();
            }
        }
        self.fitted = Some((net, mean, std));
        Ok(())
    }

    /// Predictions (in target units) for `test`.
    pub fn predict(&self, test: &[ArchInput]) -> Result<Vec<f64>, NeuralError> {
        let (net, mean, std) = self.fitted.as_ref().ok_or(NeuralError::NotFitted)?;
        if test.is_empty() {
            return Ok(Vec::new());
        }
        let data = GraphBatch::new(&encode_all(test, EncodingKind::Gcn, self.quirks)?)?;
        let (norm, inv) = gcn_adjacencies(&data.adj);
        let mut out = Vec::with_capacity(test.len());
        let n = test.len() as i64;
        let mut start = 0i64;
        while start < n {
            let len = (n - start).min(1000);
            let p = tch::no_grad(|| {
                net.forward(
                    &data.ops.narrow(0, start, len),
                    &norm.narrow(0, start, len),
                    &inv.narrow(0, start, len),
                    &data.numv.narrow(0, start, len),
                    None,
                )
            });
            out.extend(to_vec_finite(&p)?.into_iter().map(|v| v * std + mean));
            start += len;
        }
        Ok(out)
    }
}

impl Predictor for GcnPredictor {
    fn key(&self) -> &str {
        &self.key
    }

    fn requirements(&self) -> Requirements {
        Requirements {
            hpo: true,
            ..Requirements::model_based()
        }
    }

    fn fit(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        ctx: &mut Context<'_>,
    ) -> Result<(), PredictorError> {
        let seed = fit_seed(ctx.rng);
        self.fit_seeded(train, y, seed)
            .map_err(|e| e.into_fit(&self.key))
    }

    fn query(
        &mut self,
        test: &[ArchInput],
        _ctx: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError> {
        self.predict(test).map_err(|e| e.into_query(&self.key))
    }

    fn hyperparams(&self) -> Hyperparams {
        self.hpo.hyperparams()
    }

    fn tuning(&mut self) -> Option<&mut dyn Tunable> {
        Some(&mut self.hpo)
    }
}
