# Concordance counts over two integer sequences, the inner loop of Somers' D and Kendall's tau
# (SciPy's somersd helpers do this work), compiled with Pythran. It takes any 1-D int64 views,
# strided ones included: np.repeat(x, 2, axis=0)[::2] has a stride of two elements.

#pythran export concordant_pairs(int64[:], int64[:])
#pythran export concordant_pairs(int64[::], int64[::])
def concordant_pairs(x, y):
    n = x.shape[0]
    concordant = 0
    discordant = 0
    for i in range(n):
        for j in range(i + 1, n):
            s = (x[i] - x[j]) * (y[i] - y[j])
            if s > 0:
                concordant += 1
            elif s < 0:
                discordant += 1
    return concordant, discordant
