"""A module whose objects only its own calls make, for the hunt's learner tests: a model that
is fitted in place and returned (fit), read after it (predict), a callable object, a function that
takes a list of the module's objects, and a method that kills the interpreter for one argument."""
import os


class Model:
    def __init__(self, n=2):
        self.n = n
        self.coef_ = None

    def fit(self, xs):
        self.coef_ = sum(xs) / len(xs)
        return self

    def predict(self, x):
        if self.coef_ is None:
            raise ValueError("not fitted")
        return self.coef_ * x

    def explode(self, x):
        if isinstance(x, tuple):
            os.abort()
        return self.n


class Scaler:
    def __call__(self, x):
        return x * 2


def make(n):
    return Model(n)


def scaler():
    return Scaler()


def combine(models):
    if not all(isinstance(m, Model) for m in models):
        raise TypeError("models only")
    return sum(m.n for m in models)
