# right: a loop over the batch with a manual max-shift, max + log Σ exp(log_w − max) − log k
k, batch = log_w.shape
out = []
for b in range(batch):
    col = log_w[:, b]
    m = col.max()
    out.append(m + torch.log(torch.exp(col - m).sum()) - math.log(k))
return torch.stack(out)
