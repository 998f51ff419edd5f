# wrong: the softmax taken over the batch axis (axis 1) instead of the k samples (axis 0)
return torch.softmax(log_w, dim=1)
