from setuptools import find_packages, setup


def _version():
    ns = {}
    with open('vostoolkit/version.py') as f:
        exec(f.read(), ns)
    return ns['__version__']


def _requirements():
    with open('requirements.txt') as f:
        lines = [ln.split('#')[0].strip() for ln in f]
    return [ln for ln in lines if ln and not ln.startswith('-')]


setup(
    name='vostoolkit',
    version=_version(),
    description='Video object and instance segmentation toolkit on MMEngine',
    packages=find_packages(include=['vostoolkit', 'vostoolkit.*', 'plugins',
                                    'plugins.*']),
    python_requires='>=3.10',
    install_requires=_requirements(),
    # TensorBoard logging (tools/train.py --tensorboard)
    extras_require={'tensorboard': ['tensorboard']},
    license='Apache-2.0',
)
