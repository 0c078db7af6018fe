//! Trains one NB201 architecture at a chosen size and prints its per-epoch statistics (for
//! sizing a benchmark run).
//!
//! `cargo run --release -p naspred-train --example train_one -- ARCH EPOCHS C N SIDE IMAGES BATCH`

use naspred_data::DataRoot;
use naspred_spaces::{AnyArch, SpaceKind};
use naspred_train::bench::NetSize;
use naspred_train::{run, train_network, TrainConfig, TrainData};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let get = |i: usize, d: &str| a.get(i).cloned().unwrap_or_else(|| d.to_string());
    tch::set_num_threads(1);
    let arch = AnyArch::parse(
        SpaceKind::Nb201,
        &get(0, "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"),
    )?;
    let epochs: u32 = get(1, "3").parse()?;
    let net = NetSize {
        channels: get(2, "8").parse()?,
        cells: get(3, "1").parse()?,
        image_size: get(4, "16").parse()?,
    };
    let images: usize = get(5, "1000").parse()?;
    let mut cfg = TrainConfig::nb201(epochs, net.image_size);
    cfg.batch_size = get(6, "64").parse()?;
    let data = TrainData::shared_cifar10(&DataRoot::resolve(None), net.image_size, Some(images))?;
    let n = run::build_net(&arch, net, 10, 0, tch::Device::Cpu)?;
    println!("params {}", n.store.num_params());
    let t = std::time::Instant::now();
    train_network(&n, &data, &cfg, &mut |e, s| {
        println!(
            "epoch {} train_loss {:.4} train_acc {:.2} val_loss {:.4} val_acc {:.2} train_s {:.2} eval_s {:.2}",
            e + 1, s.train_loss, s.train_acc, s.val_loss, s.val_acc, s.train_s, s.eval_s
        )
    })?;
    println!("total {:.2} s", t.elapsed().as_secs_f64());
    Ok(())
}
