(function(){
  var tip=document.getElementById('tip');
  document.addEventListener('mouseover',function(ev){
    var g=ev.target.closest&&ev.target.closest('g.entry[data-kind]');
    if(!g){tip.hidden=true;return;}
    var t=g.querySelector('title');tip.textContent=t?t.textContent:'';tip.hidden=false;
    tip.style.left=Math.min(ev.clientX+14,innerWidth-420)+'px';tip.style.top=(ev.clientY+14)+'px';
  });
  // Served by `watch NN --web`: the page reloads itself when a new run has written it.
  if(location.protocol.indexOf('http')===0&&window.EventSource){
    new EventSource('/events').onmessage=function(){location.reload();};
  }
})();
