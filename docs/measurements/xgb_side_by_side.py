"""Python XGBoost on the encodings written by `xgb_side_by_side` (naspred-models example).

    cargo run --release -p naspred-models --example xgb_side_by_side -- 10 target/xgb_side_by_side
    python3 docs/measurements/xgb_side_by_side.py target/xgb_side_by_side 10

NASLib's call (naslib/predictors/trees/xgb.py): targets z-scored with the training mean and std,
`xgb.train(params, xgb.DMatrix(X, label=...), num_boost_round=500)` with depth 6,
min_child_weight 1, colsample 1, eta 0.3; plus nthread 1. The installed XGBoost's own defaults
decide tree_method and base_score. Prints the mean fit seconds (fastest of three repetitions),
wall clock and CPU time of the calling thread (`time.thread_time`), and the mean Kendall tau at
n = 100 and 1000.
"""

import sys
import time

import numpy as np
import xgboost as xgb
from scipy.stats import kendalltau

PARAMS = {
    "objective": "reg:squarederror",
    "eval_metric": "rmse",
    "booster": "gbtree",
    "max_depth": 6,
    "min_child_weight": 1,
    "colsample_bytree": 1,
    "learning_rate": 0.3,
    "colsample_bylevel": 1,
    "nthread": 1,
}


def fit(x, y):
    mean, std = np.mean(y), np.std(y)
    dtrain = xgb.DMatrix(x, label=(y - mean) / std)
    return xgb.train(PARAMS, dtrain, num_boost_round=500), mean, std


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "target/xgb_side_by_side"
    trials = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    sums = {100: [0.0, 0.0, 0.0], 1000: [0.0, 0.0, 0.0]}
    for t in range(trials):
        train = np.loadtxt(f"{root}/trial_{t}_train.csv", delimiter=",", dtype=np.float64)
        test = np.loadtxt(f"{root}/trial_{t}_test.csv", delimiter=",", dtype=np.float64)
        for n in sums:
            x, y = train[:n, :-1].astype(np.float32), train[:n, -1]
            wall, cpu = float("inf"), float("inf")
            for _ in range(3):
                start, start_cpu = time.perf_counter(), time.thread_time()
                model, mean, std = fit(x, y)
                wall = min(wall, time.perf_counter() - start)
                cpu = min(cpu, time.thread_time() - start_cpu)
            pred = model.predict(xgb.DMatrix(test[:, :-1].astype(np.float32))) * std + mean
            sums[n][0] += wall
            sums[n][1] += cpu
            sums[n][2] += kendalltau(test[:, -1], pred).correlation
    print(f"python xgboost {xgb.__version__} ({trials} trials)")
    for n, (s, cpu, tau) in sums.items():
        print(f"n {n:5} wall_s {s / trials:.4f} cpu_s {cpu / trials:.4f} tau {tau / trials:.4f}")


if __name__ == "__main__":
    main()
