"""Models: scikit-learn pipelines and Keras builders behind one registry.

Notebooks: 05_mlp_grid_search.ipynb, 06_cnn.ipynb, 07_resnet_transfer.ipynb
"""
