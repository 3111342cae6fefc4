"""Helper package for the four notebooks: all the project's logic lives here, one module per concern.

    models     Step 0: fetch, convert, build and verify the student and judge models
    tasks      the two question sets, the prompt, and the answer parser
    sds        reading Synthetic Data Studio exports
    data       Step 1: filtering funnel, deduplication, seeded split, data card
    chat       rendering one record into the chat the student sees (train and serve alike)
    train      Step 2: LoRA / QLoRA fine-tuning, resume, merge, training card
    inference  Step 3: batched, resumable generation (transformers or vLLM)
    evaluation Step 3 end to end: who answers, who judges, the records metrics use
    judge      Step 3: reference and LLM pairwise judges
    metrics    Step 3: win rates, bootstrap intervals, teacher agreement
    report     Step 3: metrics.json and the results folder, the check, tables
    figures    every plot (Steps 1-3), matplotlib's object API only
    pipeline   headless runner of the notebooks (python -m utils.pipeline)
    tracking   MLflow logging of steps 2 and 3 (Cloudera Experiments)
    app        the Gradio comparison app (python utils/app.py)
    serving    requests to an OpenAI-compatible server of the merged student
    runtime    device, dtype, seeds and threads, chosen once
    install    the AMP's install session
    paths      the files and folders the steps hand each other, named once
    files      atomic JSON writes, hashes and run metadata
"""
