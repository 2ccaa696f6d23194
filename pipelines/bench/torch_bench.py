#!/usr/bin/python3
"""PyTorch peer of eddy's benchmark suite (run by pipelines/bench/run.ts as a child process).

Usage: /usr/bin/python3 torch_bench.py JOB.json   (or --serve: job paths on stdin, one a line)

JOB.json (written by torchPeer.ts) lists the workloads with their shapes, budgets, eddy's initial weights
(a float32 file and the offsets of each state_dict tensor) and the check inputs. For each workload this script
1. loads eddy's weights into nn.LSTM / nn.LSTMCell / nn.GRUCell / nn.RNNCell + nn.Linear,
2. computes the check values (training: loss and gradient norm of window 0, loss of window 1 after one clipped
   Adam step; streaming: the softmax outputs of the first steps) for run.ts to compare with eddy's,
3. times the workload like eddy's side (warm-up, then timed steps until the count or the time budget).
It prints one JSON object per line on stdout: {"kind": "info"|"check"|"result"|"error", ...}; progress on stderr.
"""
import json
import math
import os
import sys
import time


def emit(obj):
    print(json.dumps(obj), flush=True)


def blas_info(torch):
    """Which BLAS torch was built against and which library the process actually mapped."""
    config = torch.__config__.show()
    built = next((part.split('=', 1)[1] for part in config.replace(',', '\n').split() if part.startswith('BLAS_INFO=')), 'unknown')
    a = torch.ones(64, 64)
    (a @ a).sum().item()  # make sure the BLAS is loaded
    libs = set()
    with open('/proc/self/maps') as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ''
            if 'blas' in os.path.basename(path).lower() or 'mkl' in os.path.basename(path).lower():
                libs.add(os.path.realpath(path))
    kind = 'reference BLAS (slow; apt-get install libopenblas0-openmp)'
    joined = ' '.join(sorted(libs))
    if 'openblas' in joined:
        kind = 'OpenBLAS'
    elif 'mkl' in joined:
        kind = 'MKL'
    elif 'blis' in joined:
        kind = 'BLIS'
    elif not libs:
        kind = 'none mapped'
    return {'built': built, 'libs': sorted(libs), 'kind': kind}


def time_steps(step, budget, label):
    """The same loop as timing.ts: warm-up within a third of the budget, timed steps until the count or the budget."""
    start = time.perf_counter()
    seconds = budget['seconds']
    deadline = start + seconds
    i = 0
    while True:
        t0 = time.perf_counter()
        step(i)
        i += 1
        last = time.perf_counter() - t0
        if i >= budget['warmup'] or time.perf_counter() + last - start > seconds / 3:
            break
    warmup = i
    samples = []
    total = 0.0
    report = time.perf_counter()
    while len(samples) < budget['steps']:
        if len(samples) >= budget['minSteps'] and time.perf_counter() + total / len(samples) > deadline:
            break
        t0 = time.perf_counter()
        step(i)
        t1 = time.perf_counter()
        i += 1
        total += t1 - t0
        samples.append(t1 - t0)
        if t1 - report > 2:
            print(f'  torch {label}: {len(samples)}/{budget["steps"]} steps', file=sys.stderr, flush=True)
            report = t1
    samples.sort()
    m = len(samples) // 2
    med = samples[m] if len(samples) % 2 else (samples[m - 1] + samples[m]) / 2
    p99 = samples[min(len(samples) - 1, max(0, math.ceil(0.99 * len(samples)) - 1))]
    return {'median': med, 'p99': p99, 'n': len(samples), 'warmup': warmup, 'cut': len(samples) < budget['steps'] or warmup < budget['warmup']}


def load_params(torch, job_dir, w):
    flat = torch.from_file(os.path.join(job_dir, w['paramsFile']), size=w['paramsSize'], dtype=torch.float32)
    return {name: flat[e['offset']:e['offset'] + e['size']].view(*e['shape']).clone() for name, e in w['params'].items()}


def train_workload(torch, w, params, budget):
    nn = torch.nn
    F = torch.nn.functional
    V, H, B = w['V'], w['H'], w['B']
    lstm = nn.LSTM(V, H)
    head = nn.Linear(H, V)
    with torch.no_grad():
        for n in ('weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'):
            getattr(lstm, n).copy_(params[n])
        head.weight.copy_(params['head.weight'])
        head.bias.copy_(params['head.bias'])
    ps = list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(ps, lr=w['lr'])
    # Data "loading", not timed: one-hot inputs [T, B, V] and targets [T*B] per window.
    def windows(spec):
        T, B = spec['T'], spec['B']
        return [(F.one_hot(torch.tensor(ids, dtype=torch.long).view(T, B), V).float(), torch.tensor(tg, dtype=torch.long))
                for ids, tg in zip(spec['ids'], spec['targets'])]

    data = windows(w)
    check = windows(w['check'])
    state = [torch.zeros(1, w['check']['B'], H), torch.zeros(1, w['check']['B'], H)]

    def step(i, data=data):
        x, y = data[i % len(data)]
        T, B = x.shape[0], x.shape[1]
        opt.zero_grad(set_to_none=True)
        out, (h, c) = lstm(x, (state[0], state[1]))  # out [T, B, H]
        loss = F.cross_entropy(head(out).view(T * B, V), y)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(ps, w['clip'])
        opt.step()
        state[0], state[1] = h.detach(), c.detach()  # carried, gradient cut at the window boundary
        return loss.item(), norm.item()

    # Check on the slice (as eddy's golden values): window 0 with one clipped Adam step, then window 1.
    loss0, norm0 = step(0, check)
    with torch.no_grad():
        out, _ = lstm(check[1][0], (state[0], state[1]))
        loss1 = F.cross_entropy(head(out).view(-1, V), check[1][1]).item()
    emit({'kind': 'check', 'workload': w['id'], 'loss0': loss0, 'gradNorm0': norm0, 'loss1': loss1})
    # Time from the same weights and a fresh optimizer, state from zero.
    with torch.no_grad():
        for n in ('weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'):
            getattr(lstm, n).copy_(params[n])
        head.weight.copy_(params['head.weight'])
        head.bias.copy_(params['head.bias'])
    opt = torch.optim.Adam(ps, lr=w['lr'])
    state[0], state[1] = torch.zeros(1, B, H), torch.zeros(1, B, H)
    return time_steps(step, budget, w['id'])


def stream_workload(torch, w, params, budget):
    nn = torch.nn
    F = torch.nn.functional
    X, H, Y = w['X'], w['H'], w['Y']
    cell = {'lstm': lambda: nn.LSTMCell(X, H), 'gru': lambda: nn.GRUCell(X, H), 'rnn_tanh': lambda: nn.RNNCell(X, H, nonlinearity='tanh')}[w['cell']]()
    head = nn.Linear(H, Y)
    with torch.no_grad():
        cell.weight_ih.copy_(params['weight_ih_l0'])
        cell.weight_hh.copy_(params['weight_hh_l0'])
        cell.bias_ih.copy_(params['bias_ih_l0'])
        cell.bias_hh.copy_(params['bias_hh_l0'])
        head.weight.copy_(params['head.weight'])
        head.bias.copy_(params['head.bias'])
    # Data "loading", not timed: one [1, X] input per step (one-hot rows, or frames).
    if w['input'] == 'onehot':
        xs = list(F.one_hot(torch.tensor(w['ids'], dtype=torch.long), X).float().view(-1, 1, X))
    else:
        xs = list(torch.tensor(w['frames'], dtype=torch.float32).view(-1, 1, X))
    is_lstm = w['cell'] == 'lstm'
    state = {}

    def reset():
        state['h'] = torch.zeros(1, H)
        state['c'] = torch.zeros(1, H)

    def step(i):
        x = xs[i % len(xs)]
        if is_lstm:
            state['h'], state['c'] = cell(x, (state['h'], state['c']))
        else:
            state['h'] = cell(x, state['h'])
        return torch.softmax(head(state['h']), dim=-1)

    with torch.inference_mode():
        reset()
        probs = [step(i).view(-1).tolist() for i in range(w['checkSteps'])]
        emit({'kind': 'check', 'workload': w['id'], 'probs': [p for row in probs for p in row]})
        reset()
        return time_steps(step, budget, w['id'])


def keyed_workload(torch, w, params, budget):
    """W4: every key once per tick in a random order; two loops from the same weights, each checked and timed.

    per-key:      a dict of states, nn.LSTMCell + head on one row per element (what a naive server does);
    hand-batched: all states in one [keys, H] tensor, one LSTMCell + head over the tick's rows, gathered in the
                  tick's order and scattered back (the ideal a hand-written micro-batcher reaches).
    Returns a list of (impl, timing)."""
    nn = torch.nn
    F = torch.nn.functional
    X, H, Y, K = w['X'], w['H'], w['Y'], w['keys']
    cell = nn.LSTMCell(X, H)
    head = nn.Linear(H, Y)
    with torch.no_grad():
        cell.weight_ih.copy_(params['weight_ih_l0'])
        cell.weight_hh.copy_(params['weight_hh_l0'])
        cell.bias_ih.copy_(params['bias_ih_l0'])
        cell.bias_hh.copy_(params['bias_hh_l0'])
        head.weight.copy_(params['head.weight'])
        head.bias.copy_(params['head.bias'])
    ck, ct = w['checkKeys'], w['checkTicks']
    # Data "loading", not timed: per tick the keys in arrival order, and one-hot rows [1, X] / [keys, X].
    ticks = []
    for keys, ids in zip(w['tickKeys'], w['tickIds']):
        ticks.append({
            'keys': keys,
            'index': torch.tensor(keys, dtype=torch.long),
            'x': F.one_hot(torch.tensor(ids, dtype=torch.long), X).float(),
            'rows': list(F.one_hot(torch.tensor(ids, dtype=torch.long), X).float().view(-1, 1, X)),
        })
    out = []

    def check_probs(step, reset):
        """Softmax outputs of keys < ck over the first ct ticks, [ticks, keys, Y], as eddy's golden values."""
        reset()
        probs = [[None] * ck for _ in range(ct)]
        for t in range(ct):
            keys, ys = step(t)
            for i, k in enumerate(keys):
                if k < ck:
                    probs[t][k] = torch.softmax(ys[i].view(-1), dim=-1).tolist()
        reset()
        return [p for row in probs for key in row for p in key]

    # per key
    states = {}

    def reset_per_key():
        states.clear()

    def step_per_key(i):
        tick = ticks[i % len(ticks)]
        ys = []
        for k, x in zip(tick['keys'], tick['rows']):
            s = states.get(k)
            if s is None:
                s = (torch.zeros(1, H), torch.zeros(1, H))
            h, c = cell(x, s)
            states[k] = (h, c)
            ys.append(head(h))
        return tick['keys'], ys

    # hand-batched
    hs, cs = torch.zeros(K, H), torch.zeros(K, H)

    def reset_batched():
        hs.zero_()
        cs.zero_()

    def step_batched(i):
        tick = ticks[i % len(ticks)]
        idx = tick['index']
        h, c = cell(tick['x'], (hs.index_select(0, idx), cs.index_select(0, idx)))
        hs.index_copy_(0, idx, h)
        cs.index_copy_(0, idx, c)
        return tick['keys'], head(h)

    loops = [('torch', step_batched, reset_batched)]
    if w['perKey']:
        loops.append(('torch-per-key', step_per_key, reset_per_key))
    half = dict(budget, seconds=budget['seconds'] / len(loops))
    with torch.inference_mode():
        for impl, step, reset in loops:
            emit({'kind': 'check', 'workload': w['id'], 'impl': impl, 'probs': check_probs(step, reset)})
            out.append((impl, time_steps(lambda i: step(i), half, f"{w['id']} {impl}")))
            reset()
    return out


def run_job(torch, job_path):
    """Every workload of one job file (weights beside it), results as JSON lines."""
    with open(job_path) as f:
        job = json.load(f)
    job_dir = os.path.dirname(os.path.abspath(job_path))
    for w in job['workloads']:
        print(f'torch {w["id"]}: check and time', file=sys.stderr, flush=True)
        try:
            params = load_params(torch, job_dir, w)
            if w['kind'] == 'keyed':
                for impl, t in keyed_workload(torch, w, params, w['budget']):
                    emit({'kind': 'result', 'workload': w['id'], 'impl': impl, **t})
                continue
            run = train_workload if w['kind'] == 'train' else stream_workload
            t = run(torch, w, params, w['budget'])
            emit({'kind': 'result', 'workload': w['id'], **t})
        except Exception as err:  # noqa: BLE001 - report and go on with the next workload
            emit({'kind': 'error', 'workload': w['id'], 'message': f'{type(err).__name__}: {err}'})


def main():
    """`torch_bench.py JOB.json` runs one job; `torch_bench.py --serve` reads job paths from stdin, one a line, and
    answers each with its lines and {"kind": "done"} (one import of torch for the whole bench, the jobs interleaved
    with eddy's cases so each ratio is measured close in time)."""
    serve = sys.argv[1] == '--serve'
    try:
        import torch
    except Exception as err:  # noqa: BLE001 - any import failure means "no torch peer"
        emit({'kind': 'info', 'available': False, 'reason': f'import torch failed: {err}'})
        return
    torch.set_num_threads(2)
    emit({'kind': 'info', 'available': True, 'version': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas_info(torch)})
    if not serve:
        run_job(torch, sys.argv[1])
        return
    for line in sys.stdin:
        if line.strip():
            run_job(torch, line.strip())
            emit({'kind': 'done'})


if __name__ == '__main__':
    main()
