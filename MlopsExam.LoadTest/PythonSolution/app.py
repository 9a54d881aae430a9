"""make loadtest's Python reference: the usual published answer to the exercise, kept small.

Trains at start on SST-2's training split (mounted read-only at /data/train.tsv, never copied into
an image), then serves POST /predict {"sentence": ...} -> {"label", "probability"} and GET /healthz.
"""
import csv
import os
import sys

from fastapi import FastAPI
from pydantic import BaseModel
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline


def read_sst2(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    return [r[0] for r in rows], [int(r[1]) for r in rows]


sentences, labels = read_sst2(os.environ.get("SST2_TRAIN", "/data/train.tsv"))
model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2), LogisticRegression(max_iter=1000))
model.fit(sentences, labels)
print(f"trained on {len(sentences)} sentences", file=sys.stderr, flush=True)

app = FastAPI()


class Query(BaseModel):
    sentence: str


@app.post("/predict")
def predict(query: Query):
    positive = float(model.predict_proba([query.sentence])[0][1])
    return {"sentence": query.sentence, "label": "positive" if positive >= 0.5 else "negative", "probability": positive}


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
