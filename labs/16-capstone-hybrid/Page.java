/**
 * The shop's one page: plain HTML and JavaScript, no build step. REST fetches the product list
 * once and places orders; an EventSource (Server-Sent Events) keeps the stock numbers live.
 * It is kept in a Java string so that it is served the same from any folder and in watch mode.
 */
final class Page {
  private Page() {}

  static final String HTML = """
      <!doctype html>
      <html lang="en">
      <head>
        <meta charset="utf-8">
    <link rel="icon" href="data:,">
        <title>Lab 16: the coffee shop</title>
        <style>
          body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 42rem; }
          table { border-collapse: collapse; width: 100%; }
          th, td { padding: .4rem .6rem; border-bottom: 1px solid #ddd; text-align: left; }
          .stock { font-variant-numeric: tabular-nums; font-weight: bold; }
        </style>
      </head>
      <body>
        <h1>Coffee shop</h1>
        <p>Live stock: <span id="live">not connected</span></p>
        <table>
          <thead><tr><th>Product</th><th>Price</th><th>In stock</th><th></th></tr></thead>
          <tbody id="products"></tbody>
        </table>
        <p id="status" role="status"></p>
        <script>
          const rows = document.getElementById('products');
          const statusLine = document.getElementById('status');

          // REST, once: what the shop sells. Then the live feed, once there are rows to update.
          fetch('/api/products').then(r => r.json()).then(products => {
            products.forEach(addRow);
            watchStock();
          });

          function addRow(product) {
            const row = rows.insertRow();
            row.insertCell().textContent = product.name;
            row.insertCell().textContent = (product.priceCents / 100).toFixed(2) + ' EUR';
            const stock = row.insertCell();
            stock.id = 'stock-' + product.id;
            stock.className = 'stock';
            stock.textContent = '?';
            const buy = document.createElement('button');
            buy.id = 'buy-' + product.id;
            buy.textContent = 'Buy one';
            buy.onclick = () => order(product);
            row.insertCell().append(buy);
          }

          // REST: the gateway answers 202 once the order is stored; the stock changes later, by event.
          async function order(product) {
            statusLine.textContent = 'Ordering ' + product.name + '...';
            try {
              const response = await fetch('/api/orders', {
                method: 'POST',
                headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({productId: product.id, quantity: 1})
              });
              const body = await response.json();
              statusLine.textContent = response.ok
                ? 'Order ' + body.orderId + ' accepted. Watch its stock change.'
                : 'Could not order (' + response.status + ' ' + body.status + '): ' + body.message;
            } catch (e) {
              statusLine.textContent = 'Could not order: ' + e;
            }
          }

          // Server-Sent Events: one "stock" event per level, first a snapshot, then every change.
          function watchStock() {
            const live = new EventSource('/api/stock');
            live.onopen = () => document.getElementById('live').textContent = 'connected';
            live.onerror = () => document.getElementById('live').textContent = 'reconnecting...';
            live.addEventListener('stock', event => {
              const level = JSON.parse(event.data);
              const cell = document.getElementById('stock-' + level.productId);
              if (cell) cell.textContent = level.quantity;
            });
          }
        </script>
      </body>
      </html>
      """;
}
