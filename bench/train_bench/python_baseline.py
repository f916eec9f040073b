#!/usr/bin/python3
"""The Python stack an ML engineer runs today for what `sluice train` does in one command.

    python_baseline.py --data D.csv --target label --out RUN_DIR [--timings T.json] [params]

pandas.read_csv, a stratified train/validation/test split (scikit-learn), categorical columns as
category codes fitted on the training part (missing or unseen -> NaN, as Sluice's ordinal
encoding does), xgboost.train with early stopping on validation logloss, the model cut to its
best round and saved as JSON, and scikit-learn metrics on all three parts: the nine binary
metrics Sluice computes. MLflow is the usual tracker, but it is not packaged by Debian and no
Python registry is reachable here, so params, per-round and final metrics and feature importance
go to JSON files in RUN_DIR: the closest stand-in, and cheaper than an MLflow file store or
server would be, so the comparison flatters Python rather than Sluice.

The timings file holds wall-clock (epoch) seconds at each phase boundary; the caller, which knows
when the process started, turns them into phases. Prints one JSON summary line on stdout.
"""
import time

T_START = time.time()  # before the imports: their cost is part of what a user waits for

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xgboost as xgb  # noqa: E402
from sklearn import metrics as skm  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

T_IMPORTED = time.time()


def expected_calibration_error(y, p, bins=10):
    # Not in scikit-learn; defined as Sluice's stats::ExpectedCalibrationError (equal-width bins,
    # p == 1 in the last bin) so the numbers can be compared one to one.
    b = np.minimum((p * bins).astype(np.int64), bins - 1)
    sum_p = np.bincount(b, weights=p, minlength=bins)
    sum_y = np.bincount(b, weights=y, minlength=bins)
    return float(np.abs(sum_p - sum_y).sum() / len(y))


def binary_metrics(y, p, threshold=0.5):
    pred = (p >= threshold).astype(np.int8)
    return {
        "auc": skm.roc_auc_score(y, p),
        "pr_auc": skm.average_precision_score(y, p),
        "log_loss": skm.log_loss(y, p),
        "accuracy": skm.accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred, zero_division=0),
        "recall": skm.recall_score(y, pred, zero_division=0),
        "f1": skm.f1_score(y, pred, zero_division=0),
        "brier": skm.brier_score_loss(y, p),
        "ece": expected_calibration_error(y, p),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--out", required=True, help="run folder: model, params, metrics")
    ap.add_argument("--timings", help="write phase boundaries (epoch seconds) here")
    ap.add_argument("--validation", type=float, default=0.2)
    ap.add_argument("--test", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--num-rounds", type=int, default=200)
    ap.add_argument("--max-depth", type=int, default=6)
    ap.add_argument("--eta", type=float, default=0.1)
    ap.add_argument("--early-stopping", type=int, default=20)
    ap.add_argument("--nthread", type=int, default=2)
    args = ap.parse_args()

    df = pd.read_csv(args.data)
    t_read = time.time()

    # Fractions of the whole table, like Sluice's split.validation / split.test: the test part
    # first, then validation out of the rest, both stratified by the label.
    y_all = df[args.target].to_numpy()
    rest, test = train_test_split(df, test_size=args.test, stratify=y_all, random_state=args.seed)
    train, validation = train_test_split(
        rest, test_size=args.validation / (1 - args.test), stratify=rest[args.target],
        random_state=args.seed)
    t_split = time.time()

    features = [c for c in df.columns if c != args.target]
    categorical = [c for c in features if df[c].dtype == object]
    categories = {c: sorted(train[c].dropna().unique()) for c in categorical}

    def encode(part):
        x = part[features].copy()
        for c in categorical:
            codes = pd.Categorical(x[c], categories=categories[c]).codes.astype(np.float32)
            codes[codes < 0] = np.nan
            x[c] = codes
        return x.astype(np.float32)

    def dmatrix(part):
        return xgb.DMatrix(encode(part), label=part[args.target].to_numpy(), nthread=args.nthread)

    dtrain, dvalid = dmatrix(train), dmatrix(validation)
    params = {
        "objective": "binary:logistic",
        "eval_metric": "logloss",
        "tree_method": "hist",
        "max_depth": args.max_depth,
        "eta": args.eta,
        "nthread": args.nthread,
        "seed": args.seed,
        "max_bin": 256,
    }
    history = {}
    booster = xgb.train(params, dtrain, num_boost_round=args.num_rounds,
                        evals=[(dtrain, "train"), (dvalid, "validation")],
                        early_stopping_rounds=args.early_stopping, evals_result=history,
                        verbose_eval=False)
    rounds = booster.num_boosted_rounds()
    best_round = booster.best_iteration
    # Keep the selected trees only, as Sluice does, so the saved file alone predicts like the
    # model that early stopping chose.
    if best_round + 1 < rounds:
        booster = booster[: best_round + 1]
    t_trained = time.time()

    metrics = {}
    for name, part, dm in [("train", train, dtrain), ("validation", validation, dvalid),
                           ("test", test, None)]:
        dm = dm if dm is not None else dmatrix(part)
        p = booster.predict(dm)
        for key, value in binary_metrics(part[args.target].to_numpy(), p).items():
            metrics[f"{name}_{key}"] = float(value)

    os.makedirs(args.out, exist_ok=True)
    booster.save_model(os.path.join(args.out, "model.json"))
    record = {
        "params": {**params, "num_rounds": args.num_rounds,
                   "early_stopping_rounds": args.early_stopping, "validation": args.validation,
                   "test": args.test, "data": os.path.abspath(args.data)},
        "metrics": {**metrics, "rounds": booster.num_boosted_rounds(), "best_round": best_round},
        "history": history,
        "feature_importance": booster.get_score(importance_type="gain"),
        "rows": {"train": len(train), "validation": len(validation), "test": len(test)},
    }
    with open(os.path.join(args.out, "run.json"), "w") as f:
        json.dump(record, f, indent=1)
    t_end = time.time()

    if args.timings:
        with open(args.timings, "w") as f:
            json.dump({"start": T_START, "imported": T_IMPORTED, "read": t_read, "split": t_split,
                       "trained": t_trained, "end": t_end}, f)
    print(json.dumps({"validation_auc": metrics["validation_auc"],
                      "test_auc": metrics["test_auc"], "rounds_trained": rounds,
                      "best_round": best_round, "rows": record["rows"]}))


if __name__ == "__main__":
    main()
