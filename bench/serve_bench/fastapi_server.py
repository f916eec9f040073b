#!/usr/bin/python3
"""The FastAPI + uvicorn + xgboost server a user would write to serve the benchmark's models,
speaking the same Open Inference Protocol route as `sluice serve`, so one request body measures
both. Kept lean on purpose (json.loads on the raw body, no pydantic model, inplace_predict with
one thread): the fastest Python an engineer would reasonably ship, so ratios are conservative.

    SERVE_MODELS="big=/path/model.json,small=/path/model.json" \
        python3 -m uvicorn fastapi_server:app --port P --workers W
"""
import json
import os

import numpy as np
import xgboost as xgb
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

app = FastAPI()
boosters = {}
for spec in os.environ["SERVE_MODELS"].split(","):
    name, path = spec.split("=", 1)
    booster = xgb.Booster()
    booster.load_model(path)
    booster.set_param({"nthread": 1})
    boosters[name] = booster


@app.get("/v2/health/live")
def live():
    return {"live": True}


@app.post("/v2/models/{name}/infer")
async def infer(name: str, request: Request):
    booster = boosters.get(name)
    if booster is None:
        return JSONResponse({"error": f"model '{name}' is not served here"}, status_code=404)
    body = json.loads(await request.body())
    tensor = body["inputs"][0]
    x = np.asarray(tensor["data"], dtype=np.float32).reshape(tensor["shape"])
    scores = booster.inplace_predict(x)
    out = {"model_name": name, "outputs": [{"name": "predict", "shape": [len(scores)],
                                            "datatype": "FP32", "data": scores.tolist()}]}
    return Response(json.dumps(out), media_type="application/json")
