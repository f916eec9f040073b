#!/usr/bin/python3
"""The FastAPI + uvicorn + xgboost servers a user would write to serve the benchmark's models,
speaking the same Open Inference Protocol route as `sluice serve`, so one request body measures
all of them. Two styles:

- `app` is kept lean on purpose (json.loads on the raw body, no pydantic model, inplace_predict
  with one thread): the fastest Python an engineer would reasonably ship, so ratios against it
  are conservative.
- `typed_app` is written the way FastAPI's tutorial teaches (a pydantic model of the request
  body, a sync handler, a dict returned): what ../shared/reference/serving-techniques.md measured
  as "FastAPI" (about 2k req/s with 2 workers there) and what most services look like.

    SERVE_MODELS="big=/path/model.json,small=/path/model.json" \
        python3 -m uvicorn fastapi_server:app --port P --workers W
"""
import json
import os
from typing import List

import numpy as np
import xgboost as xgb
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

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


typed_app = FastAPI()


class InferTensor(BaseModel):
    name: str
    shape: List[int]
    datatype: str
    data: List[float]


class InferRequest(BaseModel):
    inputs: List[InferTensor]


@typed_app.get("/v2/health/live")
def typed_live():
    return {"live": True}


@typed_app.post("/v2/models/{name}/infer")
def typed_infer(name: str, request: InferRequest):
    booster = boosters.get(name)
    if booster is None:
        return JSONResponse({"error": f"model '{name}' is not served here"}, status_code=404)
    tensor = request.inputs[0]
    x = np.asarray(tensor.data, dtype=np.float32).reshape(tensor.shape)
    scores = booster.inplace_predict(x)
    return {"model_name": name, "outputs": [{"name": "predict", "shape": [len(scores)],
                                             "datatype": "FP32", "data": scores.tolist()}]}
